"""Spelling and shorthand of finance questions, put right before routing: "payabels" -> "payables".

People type fast: "forcast", "acrual", "reconcilation", "overdeu", "wks", "rn". The router classifies
the corrected text, so a misspelt question routes like its clean form. The rules are few and
predictable:

1. **Shorthand** (``SHORTHAND``) is expanded word for word: "wks" -> "weeks", "rn" -> "right now",
   "a/r" -> "receivables", "eom" -> "end of month".
2. A word is **known** when it is an English word of the embedding model's vocabulary, a word of the
   finance lexicon (``LEXICON`` plus every word of the intent examples), a number, or a word of a name
   in the books (customers, vendors, projects, departments, users: never "corrected").
3. An unknown word of four letters or more becomes the lexicon word at the smallest edit distance
   (optimal string alignment: a swap of two neighbouring letters counts as one edit), when that
   distance is 1, or 2 for a word of seven letters or more. Between equally close words, the one reached
   by adding or dropping letters only wins (a dropped or doubled letter is the commonest slip:
   "acrual" is "accrual", not "actual"); a tie after that leaves the word alone. Record references
   (INV/2026/00042, P00012) are never touched.

Everything else is left as typed: a correction that could be wrong is not made.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import OSA, Indel
from rapidfuzz.process import extract

from ledgerpilot.agent.question_parsing import find_references

#: shorthand people type, expanded before anything else (keys are whole words, lower case)
SHORTHAND: dict[str, str] = {
    "wks": "weeks", "wk": "week", "mos": "months", "mths": "months", "mth": "month", "yr": "year", "yrs": "years",
    "rn": "right now", "atm": "at the moment", "asap": "as soon as possible", "pls": "please", "plz": "please",
    "thx": "thanks", "ty": "thank you", "ur": "your", "w/": "with", "w/o": "without",
    "b/c": "because", "bc": "because", "abt": "about", "amt": "amount", "amts": "amounts", "acct": "account",
    "accts": "accounts", "a/r": "receivables", "a/p": "payables", "ar": "receivables", "ap": "payables",
    "eom": "end of month", "eoq": "end of quarter", "eoy": "end of year", "mtd": "month to date",
    "qtd": "quarter to date", "ytd": "year to date", "fcst": "forecast", "inv": "invoice", "invs": "invoices",
    "pmt": "payment", "pmts": "payments", "recon": "reconciliation", "bal": "balance", "txn": "transaction",
    "txns": "transactions", "cust": "customer", "custs": "customers", "vend": "vendor", "approx": "approximately",
    "mgmt": "management", "dept": "department", "depts": "departments",
}

#: finance words a question may misspell (the intent examples add their own words to these)
LEXICON = """
cash bank balance balances liquidity treasury position forecast forecasts forecasting projection projected
runway lowest shortfall threshold buffer weeks months quarter year scenario scenarios collections collect
receivable receivables payable payables accounts aging ageing overdue outstanding owe owes owed debtor debtors
creditor creditors customer customers client clients vendor vendors supplier suppliers invoice invoices bill
bills payment payments paid pay pays paying late later delay delayed default defaults bankrupt budget budgets
budgeted actual actuals committed commitment commitments overspend overspent variance variances spend spending
department departments project projects burn burndown purchase order orders accrual accruals accrue accrued
adjusting adjustment adjustments entry entries journal journals ledger reconcile reconciled reconciliation
reconciliations unreconciled close closing checklist lock locked period periods month draft drafts anomaly
anomalies anomalous suspicious duplicate duplicates unusual fraud outlier outliers refund refunds credit
credits note notes proposal proposals pending approval approve approved activity activities reminder remind
revenue revenues sales expenses expense profit margin current committed happens happen happening liquidity
reverse reversal prepaid amortisation amortization statement statements transaction transactions deposit
deposits receipt receipts disbursement disbursements payroll rent taxes interest percent percentage
"""


_WORD = re.compile(r"[a-z][a-z'/]*[a-z]|[a-z]")


def _vocabulary_words() -> frozenset[str]:
    """Whole English words of the bundled embedding model's vocabulary (no word pieces)."""
    from ledgerpilot.memory.embeddings import model_folder

    try:
        path = Path(model_folder()) / "vocab.txt"
        words = path.read_text(encoding="utf-8").split()
    except Exception:  # noqa: BLE001 - without the vocabulary, only the lexicon decides what is known
        return frozenset()
    return frozenset(w for w in words if w.isalpha() and w.islower())


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    return _vocabulary_words()


class SpellingCorrector:
    """Puts right misspelt finance words and shorthand (rules in the module docstring). Thread-safe."""

    def __init__(self, extra_words: Iterable[str] = (), *, english: frozenset[str] | None = None):
        lexicon = set(LEXICON.split())
        for text in extra_words:
            lexicon.update(w for w in _WORD.findall(text.lower()) if len(w) >= 3 and "/" not in w and "'" not in w)
        self.lexicon = tuple(sorted(lexicon))
        self._english = english
        self._cache: dict[tuple[str, frozenset[str]], str] = {}
        self._lock = threading.Lock()

    @property
    def english(self) -> frozenset[str]:
        if self._english is None:
            self._english = english_words()
        return self._english

    def correct_word(self, word: str, protected: frozenset[str] = frozenset()) -> str:
        """The word as it should be spelt (lower case), or the word itself when no correction is certain."""
        lower = word.lower()
        if lower in SHORTHAND:
            return SHORTHAND[lower]
        if (len(lower) < 4 or not lower.isalpha() or lower in protected or lower in self.english
                or lower in self.lexicon):
            return word
        key = (lower, protected)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        limit = 2 if len(lower) >= 7 else 1
        close = extract(lower, self.lexicon, scorer=OSA.distance, score_cutoff=limit, limit=5)
        best = [c[0] for c in close if c[1] == close[0][1]] if close else []
        if len(best) > 1:
            # a dropped or doubled letter is the commonest slip: "acrual" is "accrual" before "actual"
            fewest = min(Indel.distance(lower, c) for c in best)
            best = [c for c in best if Indel.distance(lower, c) == fewest]
        fixed = best[0] if len(best) == 1 else word
        with self._lock:
            self._cache[key] = fixed
        return fixed

    def correct(self, text: str, protected: Iterable[str] = ()) -> str:
        """``text`` with shorthand expanded and misspelt words put right; references and names untouched."""
        guard = frozenset(w.lower() for w in protected)
        spans = [(r.start, r.end) for r in find_references(text)]
        out: list[str] = []
        cursor = 0
        for match in re.finditer(r"[A-Za-z][A-Za-z'/]*[A-Za-z]|[A-Za-z]", text):
            if any(start <= match.start() < end for start, end in spans):
                continue
            word = match.group(0)
            fixed = self.correct_word(word, guard)
            if fixed != word:
                out.append(text[cursor:match.start()])
                out.append(fixed)
                cursor = match.end()
        out.append(text[cursor:])
        return "".join(out)


def name_words(names: Iterable[str]) -> frozenset[str]:
    """The words of the names in the books, which are never corrected ("Brightline", "Kestrel")."""
    return frozenset(w for name in names for w in re.findall(r"[a-z]+", name.lower()))
