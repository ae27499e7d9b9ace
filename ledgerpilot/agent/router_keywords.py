"""The offline router's keyword rules: weighted terms and phrases per read tool, longest phrase first."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ledgerpilot.agent.question_parsing import normalise, without_references


@dataclass(frozen=True)
class KeywordRule:
    """A term or phrase (a regular expression over the normalised question) and what it says for each tool."""

    pattern: str
    weights: Mapping[str, float]


def _rule(pattern: str, **weights: float) -> KeywordRule:
    return KeywordRule(pattern, weights)


KEYWORD_RULES: tuple[KeywordRule, ...] = (
    # phrases that only look like keywords: they claim their words and score nothing
    _rule(r"how close|close (?:are|is|were|was) (?:we|they|you|it)|close to|closer to|closely|close enough"
          r"|closing (?:cash )?balances?|closing cash|opening balances?"
          r"|in close|close the gap"),
    _rule(r"closing (?:cash )?balances?|closing cash", cash_forecast=0.6),
    # cash today
    _rule(r"(?:cash|bank|treasury|liquidity|liquid) positions?", cash_position=1.3),
    _rule(r"bank balances?|cash balances?|balance in the bank|cash on hand|cash in (?:the )?bank|money in the bank",
          cash_position=1.2),
    _rule(r"how much (?:cash|money)|cash (?:do|did) we have|cash right now|cash today|today s cash|cash now"
          r"|cash this morning|in the bank", cash_position=1.0),
    _rule(r"bank accounts?|bank and cash|available cash|cash available", cash_position=0.8),
    _rule(r"cash|liquidity", cash_position=0.5, cash_forecast=0.3),
    # cash ahead
    _rule(r"lowest (?:projected |expected |forecast |predicted )?(?:cash )?(?:balance|point|level|position)",
          cash_forecast=1.6),
    _rule(r"lowest (?:cash|point|balance|level)|low point|low water|trough|bottom(?:s)? out|cash low",
          cash_forecast=1.5),
    _rule(r"run(?:ning)? (?:out|short) of (?:cash|money)|runway|cash crunch|tight(?:est)?", cash_forecast=1.3),
    _rule(r"forecast(?:s|ed|ing)?|projection|projected|outlook|13 week|thirteen week|weeks ahead|cash plan",
          cash_forecast=1.0),
    _rule(r"cash burn|burn rate", cash_forecast=0.8, project_burndown=0.4),
    _rule(r"breach(?:es|ed)?|dip(?:s)? below|drop(?:s)? below|fall(?:s)? below|go(?:es)? below|minimum cash|cash buffer"
          r"|safety (?:threshold|buffer|level)|headroom|cash flow|cashflow", cash_forecast=0.8),
    _rule(r"next \w+ weeks|coming weeks|weekly", cash_forecast=0.5),
    # the future: cash "will be", "by the end of January", "enough to cover payroll"
    _rule(r"will (?:we|it|our|cash|the)|going to|are we going|end of (?:the )?(?:month|quarter|year|january|february"
          r"|march|april|may|june|july|august|september|october|november|december)|next (?:month|quarter|year)"
          r"|coming (?:month|months|quarter)|upcoming|ahead|enough (?:cash|money|liquidity) to|cover (?:payroll|rent"
          r"|our|the)|afford to pay", cash_forecast=0.6),
    _rule(r"go(?:es)? negative|turn(?:s)? negative|negative (?:cash|balance)|overdra(?:wn|ft)|in the red",
          cash_forecast=1.2),
    # what-ifs (the scenario's own words are read by find_scenario)
    _rule(r"what if|what happens if|what would happen|suppose|supposing|assuming|scenario|stress test|sensitivity"
          r"|if we (?:postpone|defer|delay|push)|impact of|hypothetical|simulat(?:e|ion)|model (?:a|an|the)",
          cash_scenario=1.2),
    # receivables
    _rule(r"accounts receivable|receivables? ag(?:e)?ing|ar ag(?:e)?ing|debtor ag(?:e)?ing", receivables_ageing=1.6),
    _rule(r"receivables?|debtors?|\bar\b|dso|days sales outstanding", receivables_ageing=1.2),
    _rule(r"customers? owe|owe(?:s|d)? us|owing us|who owes|money we are owed|collect(?:ion|ions|ing)?"
          r"|(?:hasn t|haven t|not yet|yet to|didn t|not) pa(?:id|y) us|paid us yet",
          receivables_ageing=1.0),
    _rule(r"overdue invoices?|unpaid invoices?|open invoices?|outstanding invoices?|late invoices?|"
          r"customer invoices?|customers? (?:are )?late", receivables_ageing=1.1),
    _rule(r"overdue|past due|outstanding|ag(?:e)?ing|aged|unpaid|late", receivables_ageing=0.5, payables_ageing=0.3),
    _rule(r"customers?|clients?", receivables_ageing=0.3, customer_payment_behaviour=0.2),
    # payables
    _rule(r"accounts payable|payables? ag(?:e)?ing|ap ag(?:e)?ing|creditor ag(?:e)?ing", payables_ageing=1.6),
    _rule(r"payables?|creditors?|\bap\b|dpo|days payable", payables_ageing=1.2),
    _rule(r"(?:vendor|supplier) (?:bills?|invoices?)|overdue bills?|unpaid bills?|open bills?|bills? (?:due|overdue)"
          r"|(?:do|did|will) we owe|we owe|owe (?:our|to)|pay(?:ing)? (?:our )?(?:suppliers|vendors)",
          payables_ageing=1.3),
    _rule(r"suppliers?|vendors?|bills?", payables_ageing=0.7),
    # a customer's payment behaviour
    _rule(r"payment (?:behaviou?r|history|track record|pattern|habits?|record|discipline|reliability)|payer",
          customer_payment_behaviour=1.3),
    _rule(r"pays? (?:late|on time|slowly|us)|paying (?:late|on time|us)|late payer|days late|on time|slower at paying"
          r"|how (?:does|do|did) \w+(?: \w+){0,3} pay|reliable|paying (?:slower|faster)|pays? (?:slower|faster)"
          r"|payment delays?|average delay|days to pay", customer_payment_behaviour=1.1),
    # records
    _rule(r"look up|lookup|pull up|details of|show me the (?:invoice|bill|order|entry|record)", find_record=0.5),
    _rule(r"invoice|order|entry|record|payment", find_record=0.1),
    # budgets
    _rule(r"budget vs actual|budget versus actual|budget against actual|budget variance|variance", budget_status=1.2),
    _rule(r"over plan|against plan|vs plan|versus plan|plan vs actual|ahead of plan|behind plan|opex"
          r"|operating expenses|cost overrun", budget_status=1.0),
    _rule(r"over budget|overspend(?:ing|s)?|overspent|overrun(?:ning|s)?|under budget|within budget|on budget"
          r"|budget lines?|budget status|at risk", budget_status=1.0, purchase_order_check=0.2, project_burndown=0.2),
    _rule(r"budgets?|budgeted", budget_status=0.8, purchase_order_check=0.3, project_burndown=0.3),
    _rule(r"departments?|cost cent(?:er|re)s?|spend(?:ing)?|remaining", budget_status=0.4),
    # purchase orders against budget
    _rule(r"fits? (?:in|into|within)?(?: the| its| our)? budget|room in (?:the|our) budget|enough budget"
          r"|budget left for"
          r"|afford|blow(?:s)? (?:the|our) budget", purchase_order_check=1.4),
    _rule(r"purchase orders?|\bpo\b|\bpos\b", purchase_order_check=0.8, find_record=0.2),
    # projects
    _rule(r"burn ?downs?|burndowns?|burning", project_burndown=1.5),
    _rule(r"projects?", project_burndown=1.0),
    _rule(r"burn", project_burndown=0.6, cash_forecast=0.2),
    # month-end close
    _rule(r"ready to close|close status|close readiness|close checklist|close tasks?|month end close|period end close"
          r"|sign (?:off|out) (?:on )?(?:the )?(?:books|month|period|quarter|year|accounts|january|february|march|april"
          r"|may|june|july|august|september|october|november|december)",
          close_status=1.8),
    _rule(r"month end|period end|year end|checklist|lock(?:ing)? (?:the )?(?:books|period|date|month|january|february"
          r"|march|april|may|june|july|august|september|october|november|december)|lock date",
          close_status=1.2),
    _rule(r"close|closing|closed|unreconciled|suspense|cut ?off", close_status=1.0),
    _rule(r"reconcil(?:e|ed|iation|ing)|findings?|blocking|blockers?|draft (?:entries|moves)", close_status=0.6,
          pending_proposals=0.1),
    # anomalies
    _rule(r"anomal(?:y|ies|ous)|duplicates?|duplicated|suspicious|fraud(?:ulent)?|red flags?|irregular(?:ities|ity)?"
          r"|outliers?", anomalies=1.5),
    _rule(r"same (?:\w+ ){0,2}?(?:invoices?|bills?|payments?|amounts?)(?: \w+){0,2} twice|twice|same (?:\w+ ){0,2}?"
          r"(?:invoices?|bills?) (?:again|two times)", anomalies=1.4),
    _rule(r"odd|abnormal|out of the ordinary|unexpected (?:entries|postings|payments|amounts)|doesn t look right"
          r"|looks? off", anomalies=0.9),
    _rule(r"unusual|odd hours|weekend postings?|round amounts?|round numbers?|weird|strange|fishy|look(?:s)? wrong"
          r"|double (?:paid|payment|billed)|paid twice|billed twice|riskiest|risky", anomalies=1.1),
    # approvals
    _rule(r"pending approval|awaiting approval|waiting for approval|needs? (?:my )?approval|to approve|for approval"
          r"|approval queue|review queue|sign ?off|awaiting review|waiting for (?:me|review|a decision)"
          r"|need a decision",
          pending_proposals=1.6),
    _rule(r"proposals? (?:are |is )?(?:still )?(?:waiting|pending|open|outstanding|queued)", pending_proposals=1.8),
    _rule(r"proposals?|proposed|approve|approvals?|pending", pending_proposals=1.0),
)

_COMPILED_RULES = tuple((re.compile(rf"(?<!\w)(?:{rule.pattern})(?!\w)"), rule) for rule in KEYWORD_RULES)


def keyword_scores(question: str) -> tuple[dict[str, float], list[tuple[int, str]]]:
    """Per tool, the summed weights of the phrases found; and where each tool's first phrase starts.

    Phrases claim their characters, longest match first, so a word inside a longer phrase is not
    counted again on its own. A pattern counts once however often it appears."""
    text = normalise(without_references(question))
    candidates: list[tuple[int, int, int, KeywordRule]] = []
    for index, (pattern, rule) in enumerate(_COMPILED_RULES):
        for match in pattern.finditer(text):
            if match.end() > match.start():
                candidates.append((match.start(), match.end(), index, rule))
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[2], c[0]))
    taken = [False] * len(text)
    scores: dict[str, float] = {}
    firsts: dict[str, int] = {}
    counted: set[int] = set()
    for start, end, index, rule in candidates:
        if any(taken[start:end]):
            continue
        for i in range(start, end):
            taken[i] = True
        if index in counted:
            continue
        counted.add(index)
        for tool_name, weight in rule.weights.items():
            scores[tool_name] = scores.get(tool_name, 0.0) + weight
            firsts[tool_name] = min(firsts.get(tool_name, start), start)
    return scores, sorted((pos, name) for name, pos in firsts.items())
