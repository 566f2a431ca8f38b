using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;

namespace Chaos.Tests.Reports;

/// <summary>
/// A hand-made run: 3 faults x 3 profiles covering every verdict, two regressions against
/// expectations, and run data full of characters a report must escape.
/// </summary>
internal static class SampleMatrix
{
    public const string Injection = "<script>window.__pwned = 1</script>";

    /// <summary>The reason of idle-kill / pgbouncer-tx: markup, an ampersand and both kinds of quotes.</summary>
    public const string HostileReason = "still failing 5 s after heal: " + Injection + " & \"quoted\" 'single'";

    public static readonly string[] Faults = ["idle-kill", "tcp-reset", "pgbouncer-restart"];
    public static readonly string[] Profiles = ["default", "validate-on-checkout", "pgbouncer-tx"];

    public const int CellCount = 9;
    public const int RegressionCount = 2;
    public const int NotApplicableCount = 2;

    public static MatrixResult Create() => new()
    {
        StartedAt = new DateTimeOffset(2026, 11, 22, 1, 30, 0, 125, TimeSpan.Zero),
        DurationMs = 184_250.5,
        Environment = new Dictionary<string, string>
        {
            ["postgres"] = "15.18",
            ["npgsql"] = "10.0.0",
            ["proxy"] = "embedded",
        },
        Cells =
        [
            Cell("idle-kill", "default", Verdict.Recovered, Verdict.Recovered) with
            {
                Errors = 3,
                RecoveryMs = 120.5,
                P99Ms = 48.25,
                Timeline =
                [
                    new(0, "phase", "warm-up"),
                    new(1000.5, "fault", "pg_terminate_backend on 10 idle connections"),
                    new(1012.25, "error", "terminating connection due to administrator command", "57P01"),
                    new(1013, "pool-cleared", "Npgsql cleared the pool"),
                    new(1133.5, "recovered", "20 successes in a row"),
                ],
            },
            Cell("idle-kill", "validate-on-checkout", Verdict.Survived, Verdict.Survived),
            Cell("idle-kill", "pgbouncer-tx", Verdict.Failed, Verdict.Recovered) with
            {
                Reason = HostileReason,
                Errors = 250,
                Timeline =
                [
                    new(1000, "fault", "kill <all> & \"everything\""),
                    new(1001.5, "error", "server said: " + Injection, "08006"),
                    new(1002, "note", "bell \u0007 and NUL \0 from a driver message"),
                ],
            },
            Cell("tcp-reset", "default", Verdict.Hung, Verdict.Recovered) with { Reason = "a request outlived the 30 s deadline" },
            Cell("tcp-reset", "validate-on-checkout", Verdict.Corrupted, expected: null) with { Lost = 1, Reason = "1 acknowledged write missing" },
            Cell("tcp-reset", "pgbouncer-tx", Verdict.Recovered, Verdict.Recovered) with { Errors = 1, RecoveryMs = 15 },
            Cell("pgbouncer-restart", "default", Verdict.NotApplicable, Verdict.NotApplicable) with { Reason = "direct connection: no PgBouncer" },
            Cell("pgbouncer-restart", "validate-on-checkout", Verdict.NotApplicable, expected: null) with { Reason = "direct connection: no PgBouncer" },
            Cell("pgbouncer-restart", "pgbouncer-tx", Verdict.Survived, Verdict.Survived),
        ],
    };

    private static CellResult Cell(string fault, string profile, Verdict verdict, Verdict? expected) => new()
    {
        Fault = fault,
        Profile = profile,
        Verdict = verdict,
        Expected = expected,
        ExpectedReason = expected is null ? null : $"claim 1: {fault} with {profile}",
        Reason = $"{verdict.ToWire()} as measured",
        Requests = 400,
        P50Ms = 1.5,
        P99Ms = 12.75,
        PeakServerConnections = 10,
        DurationMs = 20_000,
        Seed = 42,
    };

    /// <summary>The same run with one verdict changed: the shape of a nightly regression.</summary>
    public static MatrixResult WithVerdict(this MatrixResult result, string fault, string profile, Verdict verdict) => result with
    {
        Cells = result.Cells.Select(c => c.Fault == fault && c.Profile == profile ? c with { Verdict = verdict } : c).ToList(),
    };
}
