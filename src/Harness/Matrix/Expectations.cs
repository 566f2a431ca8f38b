using Chaos.Harness.Checking;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Matrix;

/// <summary>The verdict the suite asserts for a cell, and why.</summary>
public sealed record Expectation(string Fault, string Profile, Verdict Verdict, string Reason);

/// <summary>
/// The asserted matrix: one row per cell with a one-line reason. A cell whose verdict differs is a
/// regression for the tests and for `chaos matrix` (exit code 1). Reasons state the mechanism, so a
/// changed verdict says which belief about Npgsql just broke.
/// </summary>
public static class Expectations
{
    private static readonly Dictionary<(string Fault, string Profile), Expectation> Table = Build();

    public static IReadOnlyCollection<Expectation> All => Table.Values;

    public static Expectation? For(string fault, string profile) => Table.GetValueOrDefault((fault, profile));

    /// <summary>The result with its expectation (if the table has one) filled in.</summary>
    public static CellResult Attach(CellResult result) =>
        For(result.Fault, result.Profile) is { } e ? result with { Expected = e.Verdict, ExpectedReason = e.Reason } : result;

    private static Dictionary<(string, string), Expectation> Build()
    {
        var rows = new List<Expectation>();
        void Row(string fault, string profile, Verdict verdict, string reason) => rows.Add(new(fault, profile, verdict, reason));

        // idle-backends-killed
        Row("idle-backends-killed", "npgsql-defaults", Recovered, "Npgsql does not validate on rent: each request that resumes on a killed pooled connection gets 57P01, which then clears the pool");
        Row("idle-backends-killed", "validate-on-checkout", Survived, "SELECT 1 on rent meets the dead connection first and the retry rents a fresh one");
        Row("idle-backends-killed", "keepalive", Survived, "the 1 s keepalive query finds each killed idle connection during the idle period and drops it");
        Row("idle-backends-killed", "tcp-keepalive", Recovered, "TCP keepalive probes an idle socket the server already closed cleanly; nothing checks it before the pool hands it out");
        Row("idle-backends-killed", "recycle", Survived, "after the idle period every pooled connection is past Connection Lifetime, so none is reused");
        Row("idle-backends-killed", "idle-lifetime", Survived, "idle connections are pruned within two seconds, so the pool is empty when traffic resumes");
        Row("idle-backends-killed", "bounded", Recovered, "Npgsql does not validate on rent: each request that resumes on a killed pooled connection gets 57P01, which then clears the pool");
        Row("idle-backends-killed", "no-pooling", Survived, "every request opens a new connection; there is nothing stale to hand out");
        Row("idle-backends-killed", "no-pooling-via-pgbouncer", Survived, "PgBouncer sees its idle server connections close and opens new ones; the client side was never touched");
        Row("idle-backends-killed", "pooled-via-pgbouncer", Survived, "PgBouncer sees its idle server connections close and opens new ones; the client side was never touched");
        Row("idle-backends-killed", "retry", Survived, "57P01 is transient to Npgsql, so the retry runs the request again on the freshly cleared pool");
        Row("idle-backends-killed", "retry-idempotent", Survived, "57P01 is transient to Npgsql, so the retry runs the request again on the freshly cleared pool");
        Row("idle-backends-killed", "command-timeout", Recovered, "Npgsql does not validate on rent: each request that resumes on a killed pooled connection gets 57P01, which then clears the pool");
        Row("idle-backends-killed", "resilient", Survived, "keepalive and validation on checkout each find the dead connections before a request does");

        // backend-killed-mid-transaction
        Row("backend-killed-mid-transaction", "npgsql-defaults", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "validate-on-checkout", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "keepalive", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "tcp-keepalive", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "recycle", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "idle-lifetime", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "bounded", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "no-pooling", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "no-pooling-via-pgbouncer", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "pooled-via-pgbouncer", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "retry", Survived, "the 57P01 arrives before COMMIT is sent, so the whole transaction is safely retried");
        Row("backend-killed-mid-transaction", "retry-idempotent", Survived, "the whole transaction is retried; it never committed, so nothing applies twice");
        Row("backend-killed-mid-transaction", "command-timeout", Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction");
        Row("backend-killed-mid-transaction", "resilient", Survived, "the whole transaction is retried; it never committed, so nothing applies twice");

        // tcp-reset-mid-transaction
        Row("tcp-reset-mid-transaction", "npgsql-defaults", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "validate-on-checkout", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "keepalive", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "tcp-keepalive", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "recycle", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "idle-lifetime", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "bounded", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "no-pooling", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "no-pooling-via-pgbouncer", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "pooled-via-pgbouncer", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "retry", Survived, "the reset is an I/O error before COMMIT, which the retry replays on a new connection");
        Row("tcp-reset-mid-transaction", "retry-idempotent", Survived, "the whole transaction is retried on a new connection; it never committed");
        Row("tcp-reset-mid-transaction", "command-timeout", Recovered, "the RST breaks the connection inside the transaction; the application gets the error and the pool is cleared");
        Row("tcp-reset-mid-transaction", "resilient", Survived, "the whole transaction is retried on a new connection; it never committed");

        // commit-ack-lost
        Row("commit-ack-lost", "npgsql-defaults", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "validate-on-checkout", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "keepalive", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "tcp-keepalive", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "recycle", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "idle-lifetime", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "bounded", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "no-pooling", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "no-pooling-via-pgbouncer", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "pooled-via-pgbouncer", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "retry", Corrupted, "the retry treats the lost answer as a failure and runs the committed transaction again: the write is applied twice");
        Row("commit-ack-lost", "retry-idempotent", Survived, "txid_status() says the unknown COMMIT committed, so the transaction is not run again");
        Row("commit-ack-lost", "command-timeout", Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way");
        Row("commit-ack-lost", "resilient", Survived, "txid_status() says the unknown COMMIT committed, so the transaction is not run again");

        // black-hole
        Row("black-hole", "npgsql-defaults", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "validate-on-checkout", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "keepalive", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "tcp-keepalive", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "recycle", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "idle-lifetime", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "bounded", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "no-pooling", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "no-pooling-via-pgbouncer", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "pooled-via-pgbouncer", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "retry", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "retry-idempotent", Hung, "requests wait for answers that never come; nothing but a command timeout ends them, and Npgsql's default is 30 s");
        Row("black-hole", "command-timeout", Recovered, "Command Timeout ends the swallowed requests, which breaks their connections; new ones work once the path is back");
        Row("black-hole", "resilient", Survived, "Command Timeout ends the swallowed requests and the idempotent retry runs them again after the heal");

        // server-idle-timeout
        Row("server-idle-timeout", "npgsql-defaults", Recovered, "the server closed the idle sessions (57P05); the pool hands them out anyway and the first requests fail");
        Row("server-idle-timeout", "validate-on-checkout", Survived, "SELECT 1 on rent meets the closed session and rents a fresh one");
        Row("server-idle-timeout", "keepalive", Survived, "the 1 s keepalive query keeps every session busier than the 3 s idle timeout");
        Row("server-idle-timeout", "tcp-keepalive", Recovered, "the server closed the idle sessions (57P05); the pool hands them out anyway and the first requests fail");
        Row("server-idle-timeout", "recycle", Survived, "after the idle period every pooled connection is past Connection Lifetime");
        Row("server-idle-timeout", "idle-lifetime", Survived, "the pool prunes idle connections before the server's timeout does");
        Row("server-idle-timeout", "bounded", Recovered, "the server closed the idle sessions (57P05); the pool hands them out anyway and the first requests fail");
        Row("server-idle-timeout", "no-pooling", Survived, "every request opens a new connection");
        Row("server-idle-timeout", "no-pooling-via-pgbouncer", Survived, "PgBouncer replaces the server sessions the timeout closed; its client connections are untouched");
        Row("server-idle-timeout", "pooled-via-pgbouncer", Survived, "PgBouncer replaces the server sessions the timeout closed; its client connections are untouched");
        Row("server-idle-timeout", "retry", Survived, "the closed-session error is transient to Npgsql, so the retry runs the request again");
        Row("server-idle-timeout", "retry-idempotent", Survived, "the closed-session error is transient to Npgsql, so the retry runs the request again");
        Row("server-idle-timeout", "command-timeout", Recovered, "the server closed the idle sessions (57P05); the pool hands them out anyway and the first requests fail");
        Row("server-idle-timeout", "resilient", Survived, "the 1 s keepalive query keeps every session busier than the 3 s idle timeout");

        // silent-idle-drop
        Row("silent-idle-drop", "npgsql-defaults", Hung, "requests sent on a dark connection wait for an answer that never comes; no pool setting here bounds the wait");
        Row("silent-idle-drop", "validate-on-checkout", Hung, "the validation query itself waits on the dark connection");
        Row("silent-idle-drop", "keepalive", Hung, "the keepalive query blocks on the dark connection and detects nothing");
        Row("silent-idle-drop", "tcp-keepalive", Hung, "TCP keepalive cannot help here: on loopback the frozen backend's kernel still acknowledges the probes (a real middlebox would not)");
        Row("silent-idle-drop", "recycle", Hung, "requests sent on a dark connection wait for an answer that never comes; no pool setting here bounds the wait");
        Row("silent-idle-drop", "idle-lifetime", Hung, "requests sent on a dark connection wait for an answer that never comes; no pool setting here bounds the wait");
        Row("silent-idle-drop", "bounded", Hung, "requests sent on a dark connection wait for an answer that never comes; no pool setting here bounds the wait");
        Row("silent-idle-drop", "no-pooling", Survived, "every request opens a new connection; the dark ones are never used again");
        Row("silent-idle-drop", "no-pooling-via-pgbouncer", Hung, "requests sent on a dark connection wait for an answer that never comes; no pool setting here bounds the wait");
        Row("silent-idle-drop", "pooled-via-pgbouncer", Hung, "requests sent on a dark connection wait for an answer that never comes; no pool setting here bounds the wait");
        Row("silent-idle-drop", "retry", Hung, "requests sent on a dark connection wait for an answer that never comes; no pool setting here bounds the wait");
        Row("silent-idle-drop", "retry-idempotent", Hung, "requests sent on a dark connection wait for an answer that never comes; no pool setting here bounds the wait");
        Row("silent-idle-drop", "command-timeout", Recovered, "Command Timeout ends each request on a dark connection and breaks it; fresh connections work");
        Row("silent-idle-drop", "resilient", Survived, "Command Timeout ends the request on the dark connection and the idempotent retry runs it on a fresh one");

        // max-connection-age
        Row("max-connection-age", "npgsql-defaults", Recovered, "connections past the age limit are killed between requests; the pool hands them out and the requests fail");
        Row("max-connection-age", "validate-on-checkout", Survived, "SELECT 1 on rent catches the killed connection before the request uses it");
        Row("max-connection-age", "keepalive", Recovered, "connections past the age limit are killed between requests; the pool hands them out and the requests fail");
        Row("max-connection-age", "tcp-keepalive", Recovered, "connections past the age limit are killed between requests; the pool hands them out and the requests fail");
        Row("max-connection-age", "recycle", Survived, "Connection Lifetime (2 s) retires connections before the 3 s limit reaches them");
        Row("max-connection-age", "idle-lifetime", Survived, "idle connections are pruned after a second, so few live long enough to be killed, and the pool drops those that are");
        Row("max-connection-age", "bounded", Recovered, "connections past the age limit are killed between requests; the pool hands them out and the requests fail");
        Row("max-connection-age", "no-pooling", Survived, "no connection lives long enough to be killed");
        Row("max-connection-age", "no-pooling-via-pgbouncer", Survived, "PgBouncer's server connections are killed while idle; it replaces them before a client needs them");
        Row("max-connection-age", "pooled-via-pgbouncer", Survived, "PgBouncer's server connections are killed while idle; it replaces them before a client needs them");
        Row("max-connection-age", "retry", Survived, "the 57P01 is retried on a fresh connection");
        Row("max-connection-age", "retry-idempotent", Survived, "the 57P01 is retried on a fresh connection");
        Row("max-connection-age", "command-timeout", Recovered, "connections past the age limit are killed between requests; the pool hands them out and the requests fail");
        Row("max-connection-age", "resilient", Survived, "Connection Lifetime (2 s) retires connections before the 3 s limit reaches them");

        // scale-to-zero
        Row("scale-to-zero", "npgsql-defaults", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "validate-on-checkout", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "keepalive", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "tcp-keepalive", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "recycle", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "idle-lifetime", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "bounded", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "no-pooling", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "no-pooling-via-pgbouncer", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "pooled-via-pgbouncer", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "retry", Recovered, "the database stays suspended for 2 s, longer than the retries' 0.7 s of backoff");
        Row("scale-to-zero", "retry-idempotent", Recovered, "the database stays suspended for 2 s, longer than the retries' 0.7 s of backoff");
        Row("scale-to-zero", "command-timeout", Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes");
        Row("scale-to-zero", "resilient", Recovered, "the database stays suspended for 2 s, longer than the retries' 0.7 s of backoff");

        // server-restart
        Row("server-restart", "npgsql-defaults", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "validate-on-checkout", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "keepalive", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "tcp-keepalive", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "recycle", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "idle-lifetime", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "bounded", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "no-pooling", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "no-pooling-via-pgbouncer", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "pooled-via-pgbouncer", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "retry", Survived, "the restart's errors are transient and the backoff outlasts the restart");
        Row("server-restart", "retry-idempotent", Survived, "the restart's errors are transient and the backoff outlasts the restart");
        Row("server-restart", "command-timeout", Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back");
        Row("server-restart", "resilient", Survived, "the restart's errors are transient and the backoff outlasts the restart");

        // server-crash
        Row("server-crash", "npgsql-defaults", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "validate-on-checkout", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "keepalive", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "tcp-keepalive", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "recycle", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "idle-lifetime", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "bounded", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "no-pooling", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "no-pooling-via-pgbouncer", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "pooled-via-pgbouncer", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "retry", Recovered, "the server is down for a second plus crash recovery, longer than the retries' 0.7 s of backoff");
        Row("server-crash", "retry-idempotent", Recovered, "the server is down for a second plus crash recovery, longer than the retries' 0.7 s of backoff");
        Row("server-crash", "command-timeout", Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)");
        Row("server-crash", "resilient", Recovered, "the server is down for a second plus crash recovery, longer than the retries' 0.7 s of backoff");

        // server-freeze
        Row("server-freeze", "npgsql-defaults", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "validate-on-checkout", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "keepalive", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "tcp-keepalive", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "recycle", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "idle-lifetime", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "bounded", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "no-pooling", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "no-pooling-via-pgbouncer", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "pooled-via-pgbouncer", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "retry", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "retry-idempotent", Survived, "sockets stay open and requests simply wait six seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost");
        Row("server-freeze", "command-timeout", Recovered, "with the postmaster frozen the cancel request cannot be sent, so a query fails at Command Timeout plus the connect Timeout (4 s)");
        Row("server-freeze", "resilient", Survived, "queries fail at 4 s like command-timeout's, and the idempotent retry runs them again once the server thaws");

        // latency-spike
        Row("latency-spike", "npgsql-defaults", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "validate-on-checkout", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "keepalive", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "tcp-keepalive", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "recycle", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "idle-lifetime", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "bounded", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "no-pooling", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "no-pooling-via-pgbouncer", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "pooled-via-pgbouncer", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "retry", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "retry-idempotent", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "command-timeout", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");
        Row("latency-spike", "resilient", Survived, "300 ms of latency slows requests but breaks nothing; every timeout is longer");

        // pool-exhaustion
        Row("pool-exhaustion", "npgsql-defaults", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "validate-on-checkout", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "keepalive", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "tcp-keepalive", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "recycle", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "idle-lifetime", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "bounded", Recovered, "a pool of 20 and a 1 s checkout timeout: requests beyond the pool fail fast instead of waiting");
        Row("pool-exhaustion", "no-pooling", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "no-pooling-via-pgbouncer", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "pooled-via-pgbouncer", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "retry", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "retry-idempotent", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "command-timeout", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");
        Row("pool-exhaustion", "resilient", Survived, "a pool of 100 holds the 30 long sessions; the other requests wait behind them (p99 about 2 s) and succeed");

        // connection-limit
        Row("connection-limit", "npgsql-defaults", Recovered, "three instances burst past max_connections; the server refuses connections with 53300 until the burst ends");
        Row("connection-limit", "validate-on-checkout", Recovered, "three instances burst past max_connections; the server refuses connections with 53300 until the burst ends");
        Row("connection-limit", "keepalive", Recovered, "three instances burst past max_connections; the server refuses connections with 53300 until the burst ends");
        Row("connection-limit", "tcp-keepalive", Recovered, "three instances burst past max_connections; the server refuses connections with 53300 until the burst ends");
        Row("connection-limit", "recycle", Recovered, "three instances burst past max_connections; the server refuses connections with 53300 until the burst ends");
        Row("connection-limit", "idle-lifetime", Recovered, "three instances burst past max_connections; the server refuses connections with 53300 until the burst ends");
        Row("connection-limit", "bounded", Recovered, "three instances burst past max_connections; the server refuses connections with 53300 until the burst ends");
        Row("connection-limit", "no-pooling", Recovered, "three instances burst past max_connections; the server refuses connections with 53300 until the burst ends");
        Row("connection-limit", "no-pooling-via-pgbouncer", Survived, "PgBouncer holds at most 10 server connections and queues the rest of the burst");
        Row("connection-limit", "pooled-via-pgbouncer", Survived, "PgBouncer holds at most 10 server connections and queues the rest of the burst");
        Row("connection-limit", "retry", Recovered, "the burst holds the server full for 2 s, longer than the retries' 0.7 s of backoff");
        Row("connection-limit", "retry-idempotent", Recovered, "the burst holds the server full for 2 s, longer than the retries' 0.7 s of backoff");
        Row("connection-limit", "command-timeout", Recovered, "three instances burst past max_connections; the server refuses connections with 53300 until the burst ends");
        Row("connection-limit", "resilient", Recovered, "the burst holds the server full for 2 s, longer than the retries' 0.7 s of backoff");

        // session-state-loss
        Row("session-state-loss", "npgsql-defaults", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "validate-on-checkout", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "keepalive", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "tcp-keepalive", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "recycle", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "idle-lifetime", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "bounded", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "no-pooling", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "no-pooling-via-pgbouncer", Corrupted, "transaction pooling hands each transaction any server connection: search_path and advisory locks set by one client are seen by another");
        Row("session-state-loss", "pooled-via-pgbouncer", Corrupted, "transaction pooling hands each transaction any server connection: search_path and advisory locks set by one client are seen by another");
        Row("session-state-loss", "retry", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "retry-idempotent", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "command-timeout", NotApplicable, "a PgBouncer fault: direct connections keep their session");
        Row("session-state-loss", "resilient", NotApplicable, "a PgBouncer fault: direct connections keep their session");

        // data-cut
        Row("data-cut", "npgsql-defaults", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "validate-on-checkout", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "keepalive", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "tcp-keepalive", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "recycle", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "idle-lifetime", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "bounded", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "no-pooling", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "no-pooling-via-pgbouncer", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "pooled-via-pgbouncer", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "retry", Recovered, "every attempt is cut while the fault lasts (3 s), longer than the retries' 0.7 s of backoff; the error reaches the application");
        Row("data-cut", "retry-idempotent", Recovered, "every attempt is cut while the fault lasts (3 s), longer than the retries' 0.7 s of backoff; the error reaches the application");
        Row("data-cut", "command-timeout", Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result");
        Row("data-cut", "resilient", Recovered, "every attempt is cut while the fault lasts (3 s), longer than the retries' 0.7 s of backoff; the error reaches the application");

        return rows.ToDictionary(e => (e.Fault, e.Profile));
    }
}
