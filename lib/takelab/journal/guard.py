"""What the journal's database enforces itself, whatever a client's code does.

Both stores get the ledger trigger: when a take's cost is set, a row is appended to
`charges`, and money spent is read from there (plus the holds of takes in flight), so
setting a finished take's `cost_usd` back to 0 gives no money back.

A team's PostgreSQL also gets the guard (installed by the owner role at `make team-up`):
members, the logins `takelab team add-member` makes, are NOLOGIN-group `takelab_member`
members who may read everything, insert and update their own takes, verdicts and sweeps
(row-level security keyed on `session_user`, which a member cannot change), and nothing
else: no DELETE, no DDL, no write to `charges` or `budgets`. A trigger checks every
reservation against the project's team budget (`budgets`, set by the admin) under the
writers' advisory lock, and refuses a cost that changes once recorded or a hold that is
dropped without settling the take.
"""

from __future__ import annotations

GUARD_VERSION = 1
MEMBER_GROUP = "takelab_member"
OWNER_ROLE = "takelab_owner"


def _stamp(column: str, what: str, tables: tuple[str, ...]) -> tuple[str, ...]:
    """A trigger function that stamps a member's row with their login in `column` (which
    never changes afterwards), and its triggers on `tables`."""
    function = f"takelab_stamp_{column}"
    statements = [
        f"""
    CREATE OR REPLACE FUNCTION {function}() RETURNS trigger {_DEFINER} AS $$
    BEGIN
        IF takelab_is_member() THEN
            IF TG_OP = 'INSERT' THEN
                NEW.{column} := session_user;
            ELSIF NEW.{column} IS DISTINCT FROM OLD.{column} THEN
                RAISE EXCEPTION 'takelab: the {column} of {what} never changes';
            END IF;
        END IF;
        RETURN NEW;
    END $$
    """
    ]
    for table in tables:
        trigger = f"{table}_{column}"
        statements += [
            f"DROP TRIGGER IF EXISTS {trigger} ON {table}",
            f"CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]
    return tuple(statements)


# Who stamps what: a verdict and a sweep carry their member; a preference (issue 15) its
# reviewer.
_STAMPS = (
    ("member", "a record", ("verdicts", "sweeps")),
    ("reviewer", "a preference", ("preferences",)),
)


def _policies(table: str, insert: str, update: str, update_check: str | None) -> tuple[str, ...]:
    """Row-level security of one table for the member group: everyone reads every row;
    a member inserts rows passing `insert` and updates rows passing `update` (and, with
    `update_check`, only into rows passing it)."""
    check = f" WITH CHECK ({update_check})" if update_check else ""
    return (
        f"DROP POLICY IF EXISTS member_read ON {table}",
        f"CREATE POLICY member_read ON {table} FOR SELECT TO {MEMBER_GROUP} USING (true)",
        f"DROP POLICY IF EXISTS member_insert ON {table}",
        f"CREATE POLICY member_insert ON {table} FOR INSERT TO {MEMBER_GROUP}"
        f" WITH CHECK ({insert})",
        f"DROP POLICY IF EXISTS member_update ON {table}",
        f"CREATE POLICY member_update ON {table} FOR UPDATE TO {MEMBER_GROUP}"
        f" USING ({update}){check}",
    )


_OWN = "member = session_user"
# Per table: (INSERT check, UPDATE using, UPDATE with check). A verdict is marked logged
# by its reviewer, or by the take's owner, whose sync logs it on the take's run (the
# reviewer may only read that run).
_POLICIES: dict[str, tuple[str, str, str | None]] = {
    "takes": (_OWN, _OWN, _OWN),
    "sweeps": (_OWN, _OWN, _OWN),
    "verdicts": (
        _OWN,
        f"{_OWN} OR take_id IN (SELECT take_id FROM takes WHERE {_OWN})",
        None,
    ),
    "preferences": ("reviewer = session_user", "reviewer = session_user", None),
}

SQLITE_TRIGGERS: tuple[str, ...] = (
    """
    CREATE TRIGGER IF NOT EXISTS takes_charge_insert AFTER INSERT ON takes
    WHEN NEW.cost_usd IS NOT NULL AND NEW.cost_usd <> 0
    BEGIN
        INSERT INTO charges (take_id, project, sweep_id, member, amount_usd, created_at)
        VALUES (NEW.take_id, NEW.project, NEW.sweep_id, NEW.member, NEW.cost_usd,
                NEW.updated_at);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS takes_charge_update AFTER UPDATE OF cost_usd ON takes
    WHEN OLD.cost_usd IS NULL AND NEW.cost_usd IS NOT NULL AND NEW.cost_usd <> 0
    BEGIN
        INSERT INTO charges (take_id, project, sweep_id, member, amount_usd, created_at)
        VALUES (NEW.take_id, NEW.project, NEW.sweep_id, NEW.member, NEW.cost_usd,
                NEW.updated_at);
    END
    """,
)

_DEFINER = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"

# The ledger, on every PostgreSQL journal (a member cannot write `charges` directly).
PG_LEDGER: tuple[str, ...] = (
    f"""
    CREATE OR REPLACE FUNCTION takelab_is_member() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT EXISTS (
            SELECT 1 FROM pg_auth_members m
            JOIN pg_roles g ON g.oid = m.roleid
            JOIN pg_roles u ON u.oid = m.member
            WHERE g.rolname = '{MEMBER_GROUP}' AND u.rolname = session_user AND NOT u.rolsuper)
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION takelab_charge() RETURNS trigger {_DEFINER} AS $$
    BEGIN
        IF NEW.cost_usd IS NOT NULL AND NEW.cost_usd <> 0
           AND (TG_OP = 'INSERT' OR OLD.cost_usd IS NULL) THEN
            INSERT INTO charges (take_id, project, sweep_id, member, amount_usd, created_at)
            VALUES (NEW.take_id, NEW.project, NEW.sweep_id, NEW.member, NEW.cost_usd,
                    NEW.updated_at);
        END IF;
        RETURN NULL;
    END $$
    """,
    "DROP TRIGGER IF EXISTS takes_charge ON takes",
    "CREATE TRIGGER takes_charge AFTER INSERT OR UPDATE OF cost_usd ON takes"
    " FOR EACH ROW EXECUTE FUNCTION takelab_charge()",
    f"""
    CREATE OR REPLACE FUNCTION takelab_take_guard() RETURNS trigger {_DEFINER} AS $$
    DECLARE
        budget DOUBLE PRECISION;
        used DOUBLE PRECISION;
        before DOUBLE PRECISION := 0;
    BEGIN
        IF NOT takelab_is_member() THEN
            RETURN NEW;
        END IF;
        IF TG_OP = 'INSERT' THEN
            NEW.member := session_user;
        ELSE
            before := OLD.reserved_usd;
            IF NEW.member IS DISTINCT FROM OLD.member OR NEW.take_id <> OLD.take_id
               OR NEW.project <> OLD.project THEN
                RAISE EXCEPTION 'takelab: a take''s id, project and member never change';
            END IF;
            IF OLD.cost_usd IS NOT NULL AND NEW.cost_usd IS NOT NULL
               AND NEW.cost_usd <> OLD.cost_usd THEN
                RAISE EXCEPTION 'takelab: the cost of take % is recorded; charges are'
                    ' append-only', OLD.take_id;
            END IF;
            IF NEW.reserved_usd < OLD.reserved_usd
               AND NOT (OLD.cost_usd IS NULL AND NEW.cost_usd IS NOT NULL)
               AND NOT (OLD.state = 'reserved' AND OLD.job_id IS NULL) THEN
                RAISE EXCEPTION 'takelab: the money held for take % is released only by'
                    ' settling it', OLD.take_id;
            END IF;
            IF OLD.state IN ('submitting', 'submitted', 'uncertain')
               AND NEW.state IN ('reserved', 'over-budget') THEN
                RAISE EXCEPTION 'takelab: take % was sent to the provider; it cannot be'
                    ' reserved again', OLD.take_id;
            END IF;
        END IF;
        IF NEW.reserved_usd < 0 OR NEW.cost_usd < 0 THEN
            RAISE EXCEPTION 'takelab: negative money on take %', NEW.take_id;
        END IF;
        IF NEW.reserved_usd > before THEN
            -- The writers' lock (journal_db): nobody reserves between this sum and the row.
            PERFORM pg_advisory_xact_lock(1952541541);
            SELECT budget_usd INTO budget FROM budgets WHERE project = NEW.project;
            IF budget IS NULL THEN
                RAISE EXCEPTION 'takelab: project % has no team budget; the admin sets one'
                    ' with `takelab team budget % USD`', NEW.project, NEW.project;
            END IF;
            used := (SELECT COALESCE(SUM(amount_usd), 0) FROM charges
                     WHERE project = NEW.project)
                  + (SELECT COALESCE(SUM(reserved_usd), 0) FROM takes
                     WHERE project = NEW.project AND take_id <> NEW.take_id);
            IF used + NEW.reserved_usd > budget + 1e-9 THEN
                RAISE EXCEPTION 'takelab: over the team budget of %: % USD spent or held'
                    ' of % USD', NEW.project, round(used::numeric, 2), budget;
            END IF;
        END IF;
        RETURN NEW;
    END $$
    """,
    "DROP TRIGGER IF EXISTS takes_guard ON takes",
    "CREATE TRIGGER takes_guard BEFORE INSERT OR UPDATE ON takes"
    " FOR EACH ROW EXECUTE FUNCTION takelab_take_guard()",
    *(stmt for column, what, tables in _STAMPS for stmt in _stamp(column, what, tables)),
    # Forgetting a take (no job was made) is a DELETE, which members do not hold.
    f"""
    CREATE OR REPLACE FUNCTION takelab_forget(p_take_id text, p_state text)
    RETURNS integer {_DEFINER} AS $$
    DECLARE
        n integer;
    BEGIN
        IF p_state NOT IN ('reserved', 'uncertain') THEN
            RAISE EXCEPTION 'takelab: only a reserved or uncertain take can be forgotten';
        END IF;
        DELETE FROM takes WHERE take_id = p_take_id AND state = p_state
            AND (p_state <> 'reserved' OR job_id IS NULL)
            AND (NOT takelab_is_member() OR member = session_user);
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
    END $$
    """,
    "REVOKE ALL ON FUNCTION takelab_forget(text, text) FROM PUBLIC",
)

_TABLES = (
    "takes",
    "verdicts",
    "sweeps",
    "charges",
    "budgets",
    "preferences",
    "takelab_schema",
)

# Grants and row-level security for the member group (a team server's journal only).
PG_MEMBER_GRANTS: tuple[str, ...] = (
    *(f"REVOKE ALL ON {t} FROM PUBLIC, {MEMBER_GROUP}" for t in _TABLES),
    f"GRANT SELECT ON {', '.join(_TABLES)} TO {MEMBER_GROUP}",
    f"GRANT INSERT, UPDATE ON takes, sweeps TO {MEMBER_GROUP}",
    f"GRANT INSERT, UPDATE (logged) ON verdicts TO {MEMBER_GROUP}",
    f"GRANT USAGE ON SEQUENCE verdicts_id_seq TO {MEMBER_GROUP}",
    f"GRANT INSERT, UPDATE (logged) ON preferences TO {MEMBER_GROUP}",
    f"GRANT USAGE ON SEQUENCE preferences_id_seq TO {MEMBER_GROUP}",
    f"GRANT EXECUTE ON FUNCTION takelab_forget(text, text) TO {MEMBER_GROUP}",
    *(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY" for t in _POLICIES),
    *(stmt for table, rules in _POLICIES.items() for stmt in _policies(table, *rules)),
)


def guard_statements(has_member_group: bool) -> list[str]:
    """The guard's SQL, in order; grants only where the team's member group exists."""
    return [*PG_LEDGER, *(PG_MEMBER_GRANTS if has_member_group else ())]
