"""Journal-entry features for the unsupervised model: one numeric row per entry, built vectorised.

An auditor's question about an entry is "how unlike the others is it?", so most features are
*rarity* encodings — minus the log of the share of entries that look the same on one axis (its
journal, who typed it in that journal, the hour and weekday it was created, the set of accounts it
uses, its partner) — rather than raw categories, which an IsolationForest could only split
arbitrarily. Money enters as the log of the entry's size, how far that size is from the usual size
for the same partner and kind of entry (robust z-score), and how round it is.

Everything is computed with pandas/numpy group operations over the journal items (no Python loop
per entry or line), so a million items take a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.frames import AnomalyData

#: the feature columns, in the order the model sees them
FEATURES: tuple[str, ...] = (
    "log_amount",            # log of the entry's size (its total debit)
    "amount_z",              # robust z-score of log_amount vs the same partner and origin, else the
                             # entries using the same accounts in the same journal
    "roundness",             # 0-3: the size is a whole multiple of 100, 1,000, 10,000
    "line_count",            # number of journal items
    "account_set_rarity",    # -log share of entries using exactly this set of accounts
    "rarest_account",        # -log share of entries that use the entry's least used account
    "partner_rarity",        # -log share of entries with this partner (no partner is a value)
    "user_journal_rarity",   # -log share of the journal's entries created by this user
    "hour_rarity",           # -log share of entries created in this hour of the day
    "weekday_rarity",        # -log share of entries created on this weekday
    "date_weekday_rarity",   # -log share of entries dated on this weekday
    "journal_rarity",        # -log share of entries in this journal
)

#: the hash of a set of accounts: a sum of per-account random 64-bit keys (order-free, wrapping)
_HASH_SEED = 20240917


def _rarity(keys: pd.Series | pd.DataFrame) -> np.ndarray:
    """-log(share of rows having the same key) for each row; missing values are a key of their own."""
    if isinstance(keys, pd.DataFrame):
        codes = keys.groupby(list(keys.columns), dropna=False, sort=False).ngroup().to_numpy()
    else:
        codes = pd.factorize(keys, use_na_sentinel=False)[0]
    counts = np.bincount(codes)
    return -np.log(counts[codes] / max(len(codes), 1))


def _robust_z(values: pd.Series, groups: pd.Series, min_group: int) -> tuple[np.ndarray, np.ndarray]:
    """|value - group median| / scaled MAD per row, and whether the row's group has ``min_group`` rows."""
    frame = pd.DataFrame({"v": values.to_numpy(), "g": groups.to_numpy()})
    grouped = frame.groupby("g", dropna=False, sort=False)["v"]
    median = grouped.transform("median").to_numpy()
    deviation = np.abs(frame["v"].to_numpy() - median)
    mad = pd.Series(deviation).groupby(frame["g"].to_numpy(), dropna=False, sort=False).transform("median").to_numpy()
    size = grouped.transform("size").to_numpy()
    # a floor on the spread: a partner billed the same amount every month (rent) has MAD 0, and a
    # 10% change there is not 10 million deviations away
    z = deviation / (1.4826 * mad + 0.1)
    return z, size >= min_group


def entry_features(data: AnomalyData) -> pd.DataFrame:
    """One row per entry of ``data.moves`` (index ``move_id``), the columns of :data:`FEATURES`.

    Entries without journal items still get a row (size 0). Missing timestamps count as their own
    hour/weekday value; nothing here depends on the labels of any evaluation.
    """
    moves = data.moves
    lines = data.lines
    index = pd.Index(moves["id"].astype("int64").to_numpy(), name="move_id")
    if not len(index):
        return pd.DataFrame({name: pd.Series([], dtype="float64") for name in FEATURES},
                            index=pd.Index([], dtype="int64", name="move_id"))

    line_move = lines["move_id"].astype("int64").to_numpy() if len(lines) else np.array([], dtype="int64")
    balance = lines["balance"].fillna(0.0).to_numpy() if len(lines) else np.array([], dtype="float64")
    debit = pd.Series(np.where(balance > 0, balance, 0.0)).groupby(line_move).sum()
    count = pd.Series(np.ones(len(line_move))).groupby(line_move).sum()
    size = debit.reindex(index, fill_value=0.0).to_numpy()
    line_count = count.reindex(index, fill_value=0.0).to_numpy()
    log_amount = np.log1p(np.abs(size))

    # accounts: the set each entry uses (order-free hash) and its least used account
    account_set_rarity = np.zeros(len(index))
    rarest_account = np.zeros(len(index))
    account_set = np.zeros(len(index), dtype="int64")
    if len(lines):
        pairs = pd.DataFrame({"move": line_move, "account": lines["account_id"].fillna(-1).astype("int64").to_numpy()})
        pairs = pairs.drop_duplicates()
        accounts, account_codes = np.unique(pairs["account"].to_numpy(), return_inverse=True)
        keys = np.random.default_rng(_HASH_SEED).integers(0, 2**63 - 1, size=len(accounts), dtype=np.int64)
        with np.errstate(over="ignore"):
            signature = pd.Series(keys[account_codes].astype(np.uint64)).groupby(pairs["move"].to_numpy()).sum()
        signature = signature.reindex(index)
        set_codes = pd.factorize(signature, use_na_sentinel=False)[0]
        account_set = set_codes
        set_counts = np.bincount(set_codes)
        account_set_rarity = -np.log(set_counts[set_codes] / len(index))
        moves_per_account = np.bincount(account_codes)
        line_rarity = -np.log(moves_per_account[account_codes] / len(index))
        rarest = pd.Series(line_rarity).groupby(pairs["move"].to_numpy()).max()
        rarest_account = rarest.reindex(index, fill_value=0.0).to_numpy()

    partner = moves["partner_id"]
    origin = moves["origin"].fillna("unknown")
    journal = moves["journal_id"]
    user = moves["create_uid"]
    created = moves["create_date"]

    # amount vs the usual size for the same partner and origin (a vendor's bills, a customer's
    # payments); entries without a partner, or a partner seen too rarely, are compared with the
    # entries of the same kind: the same set of accounts in the same journal (payroll with payroll)
    amount = pd.Series(log_amount)
    by_partner = partner.astype("string").fillna("-") + "|" + origin
    by_kind = pd.Series(account_set, dtype="string").fillna("-") + "|" + journal.astype("string").fillna("-")
    z_partner, enough = _robust_z(amount, by_partner, 5)
    z_kind, _ = _robust_z(amount, by_kind, 1)
    amount_z = np.minimum(np.where(enough & partner.notna().to_numpy(), z_partner, z_kind), 50.0)

    whole = np.abs(size)
    roundness = sum(((whole >= step) & (np.abs(whole / step - np.round(whole / step)) * step < 0.005)).astype(float)
                    for step in (100.0, 1000.0, 10000.0))

    hour = created.dt.hour
    weekday = created.dt.weekday
    features = pd.DataFrame({
        "log_amount": log_amount,
        "amount_z": amount_z,
        "roundness": roundness,
        "line_count": line_count,
        "account_set_rarity": account_set_rarity,
        "rarest_account": rarest_account,
        "partner_rarity": _rarity(partner),
        "user_journal_rarity": _user_in_journal_rarity(journal, user),
        "hour_rarity": _rarity(hour),
        "weekday_rarity": _rarity(weekday),
        "date_weekday_rarity": _rarity(moves["date"].dt.weekday),
        "journal_rarity": _rarity(journal),
    }, index=index)
    return features.astype("float64")


def _user_in_journal_rarity(journal: pd.Series, user: pd.Series) -> np.ndarray:
    """-log(share of the journal's entries created by the entry's user)."""
    frame = pd.DataFrame({"j": journal.to_numpy(), "u": user.to_numpy()})
    pair = frame.groupby(["j", "u"], dropna=False, sort=False)["j"].transform("size").to_numpy()
    per_journal = frame.groupby("j", dropna=False, sort=False)["j"].transform("size").to_numpy()
    return -np.log(pair / per_journal)


# ------------------------------------------------------------------------------ frozen encoders

_MISSING = -1          # the key of a missing id, hour or weekday in the count tables


@dataclass(frozen=True)
class FeatureEncoders:
    """What :func:`entry_features` learns from all the entries, kept so that a few entries can be
    encoded later without reading the others again (a long-running scanner's scoped scans).

    Count tables for the rarity features, each account's hash key, and the centre and spread of the
    log amounts of each partner-and-origin group and of each kind of entry (journal + set of
    accounts). Encoding an entry against them gives the features a full computation over the same
    books gives it; against books that have changed since, the features of a rescan, less the
    effect of the change on the shares and medians (see :func:`encode_entries`).
    """

    entries: int
    account_keys: pd.Series        # account id -> hash key (uint64)
    account_entries: pd.Series     # account id -> entries using it
    account_sets: pd.Series        # set signature (uint64) -> entries using exactly that set
    counts: dict[str, pd.Series]   # axis -> value -> entries
    partner_groups: pd.DataFrame   # "partner|origin" -> median, mad, size
    kind_groups: pd.DataFrame      # "signature|journal" -> median, mad


def _account_key(accounts: np.ndarray) -> np.ndarray:
    """A fixed random 64-bit key per account id (splitmix64 of the id): sets of accounts hash the
    same whatever other accounts the books hold."""
    with np.errstate(over="ignore"):
        z = accounts.astype(np.uint64) + np.uint64(_HASH_SEED) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _entry_lines(data: AnomalyData, index: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Per entry of ``index``: total debit, item count, set signature; and the distinct (move, account) pairs."""
    lines = data.lines
    if len(index) < len(data.moves):
        lines = lines[lines["move_id"].isin(index)]
    line_move = lines["move_id"].astype("int64").to_numpy()
    balance = lines["balance"].fillna(0.0).to_numpy()
    debit = pd.Series(np.where(balance > 0, balance, 0.0)).groupby(line_move).sum()
    count = pd.Series(np.ones(len(line_move))).groupby(line_move).sum()
    pairs = pd.DataFrame({"move": line_move, "account": lines["account_id"].fillna(-1).astype("int64").to_numpy()})
    pairs = pairs.drop_duplicates()
    with np.errstate(over="ignore"):
        signature = pd.Series(_account_key(pairs["account"].to_numpy())).groupby(pairs["move"].to_numpy()).sum()
    return (debit.reindex(index, fill_value=0.0).to_numpy(), count.reindex(index, fill_value=0.0).to_numpy(),
            signature.reindex(index, fill_value=0).to_numpy(dtype=np.uint64), pairs)


def _axes(moves: pd.DataFrame) -> dict[str, pd.Series]:
    """The categorical axes of the rarity features, missing values as a key of their own."""
    created = moves["create_date"]
    return {
        "partner": moves["partner_id"].astype("float64").fillna(_MISSING),
        "hour": created.dt.hour.astype("float64").fillna(_MISSING),
        "weekday": created.dt.weekday.astype("float64").fillna(_MISSING),
        "date_weekday": moves["date"].dt.weekday.astype("float64").fillna(_MISSING),
        "journal": moves["journal_id"].astype("float64").fillna(_MISSING),
        "user_journal": (moves["journal_id"].astype("float64").fillna(_MISSING) * 1e7
                         + moves["create_uid"].astype("float64").fillna(_MISSING)),
    }


def _group_keys(moves: pd.DataFrame, signature: np.ndarray) -> tuple[pd.Series, pd.Series]:
    partner_key = moves["partner_id"].astype("string").fillna("-") + "|" + moves["origin"].fillna("unknown")
    kind_key = (pd.Series(signature.astype(np.uint64)).astype("string") + "|"
                + moves["journal_id"].astype("string").fillna("-").reset_index(drop=True))
    return partner_key.reset_index(drop=True), kind_key


def _group_stats(values: np.ndarray, keys: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({"v": values, "g": keys.to_numpy()})
    grouped = frame.groupby("g", dropna=False, sort=False)["v"]
    median = grouped.transform("median").to_numpy()
    mad = pd.Series(np.abs(values - median)).groupby(frame["g"].to_numpy(), dropna=False, sort=False).median()
    return pd.DataFrame({"median": grouped.median(), "mad": mad, "size": grouped.size()})


def fit_encoders(data: AnomalyData) -> FeatureEncoders:
    """The count tables, account keys and group centres of every entry of ``data``."""
    moves = data.moves
    index = pd.Index(moves["id"].astype("int64").to_numpy(), name="move_id")
    size, _count, signature, pairs = _entry_lines(data, index)
    log_amount = np.log1p(np.abs(size))
    partner_key, kind_key = _group_keys(moves, signature)
    accounts = pairs["account"].drop_duplicates().sort_values()
    return FeatureEncoders(
        entries=len(index),
        account_keys=pd.Series(_account_key(accounts.to_numpy()), index=accounts.to_numpy()),
        account_entries=pairs.groupby("account").size(),
        account_sets=pd.Series(signature).value_counts(),
        counts={axis: values.value_counts() for axis, values in _axes(moves).items()},
        partner_groups=_group_stats(log_amount, partner_key),
        kind_groups=_group_stats(log_amount, kind_key),
    )


def encode_entries(data: AnomalyData, encoders: FeatureEncoders, move_ids: pd.Index) -> pd.DataFrame:
    """The features of the entries ``move_ids`` of ``data`` (index ``move_id``), against ``encoders``.

    A value the encoders never saw (a new partner, a new set of accounts) counts as seen once: the
    entry itself. The shares are those of the books the encoders were fitted on; a long-running
    scanner refits them once the entries changed since make up a noticeable share of the books.
    """
    moves = data.moves[data.moves["id"].isin(move_ids)]
    index = pd.Index(moves["id"].astype("int64").to_numpy(), name="move_id")
    if not len(index):
        return pd.DataFrame({name: pd.Series([], dtype="float64") for name in FEATURES},
                            index=pd.Index([], dtype="int64", name="move_id"))
    total = max(encoders.entries, 1)
    size, line_count, signature, pairs = _entry_lines(data, index)
    log_amount = np.log1p(np.abs(size))

    def rarity(counts: pd.Series, keys: pd.Series | np.ndarray) -> np.ndarray:
        seen = pd.Series(keys).map(counts).fillna(0).to_numpy(dtype="float64")
        return -np.log(np.maximum(seen, 1.0) / total)

    account_set_rarity = rarity(encoders.account_sets, signature)
    line_rarity = rarity(encoders.account_entries, pairs["account"].to_numpy())
    rarest = pd.Series(line_rarity).groupby(pairs["move"].to_numpy()).max()
    rarest_account = rarest.reindex(index, fill_value=0.0).to_numpy()

    partner_key, kind_key = _group_keys(moves, signature)

    def robust_z(stats: pd.DataFrame, keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        found = stats.reindex(keys.to_numpy())
        median = found["median"].to_numpy(dtype="float64")
        mad = found["mad"].to_numpy(dtype="float64")
        unseen = np.isnan(median)
        median = np.where(unseen, log_amount, median)   # a group of one: the entry is its own centre
        z = np.abs(log_amount - median) / (1.4826 * np.where(unseen, 0.0, mad) + 0.1)
        sizes = found["size"].to_numpy(dtype="float64") if "size" in found else np.ones(len(keys))
        return z, np.nan_to_num(sizes, nan=1.0)

    z_partner, partner_size = robust_z(encoders.partner_groups, partner_key)
    z_kind, _ = robust_z(encoders.kind_groups, kind_key)
    partner = moves["partner_id"]
    enough = partner_size >= 5
    amount_z = np.minimum(np.where(enough & partner.notna().to_numpy(), z_partner, z_kind), 50.0)

    whole = np.abs(size)
    roundness = sum(((whole >= step) & (np.abs(whole / step - np.round(whole / step)) * step < 0.005)).astype(float)
                    for step in (100.0, 1000.0, 10000.0))
    axes = _axes(moves)
    counts = encoders.counts
    journal_seen = np.maximum(axes["journal"].map(counts["journal"]).fillna(0).to_numpy(dtype="float64"), 1.0)
    pair_seen = np.maximum(axes["user_journal"].map(counts["user_journal"]).fillna(0).to_numpy(dtype="float64"), 1.0)
    features = pd.DataFrame({
        "log_amount": log_amount,
        "amount_z": amount_z,
        "roundness": roundness,
        "line_count": line_count,
        "account_set_rarity": account_set_rarity,
        "rarest_account": rarest_account,
        "partner_rarity": rarity(counts["partner"], axes["partner"].to_numpy()),
        "user_journal_rarity": -np.log(np.minimum(pair_seen / journal_seen, 1.0)),
        "hour_rarity": rarity(counts["hour"], axes["hour"].to_numpy()),
        "weekday_rarity": rarity(counts["weekday"], axes["weekday"].to_numpy()),
        "date_weekday_rarity": rarity(counts["date_weekday"], axes["date_weekday"].to_numpy()),
        "journal_rarity": rarity(counts["journal"], axes["journal"].to_numpy()),
    }, index=index)
    return features.astype("float64")
