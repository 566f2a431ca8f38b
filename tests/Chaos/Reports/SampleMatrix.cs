using Chaos.Harness.History;
using Chaos.Harness.Reports;
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
    public const int NotApplicableCount = 1;
    public const int ErrorCount = 1;

    public static MatrixRecord Create() => new()
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
            Cell("pgbouncer-restart", "validate-on-checkout", Verdict.Error, expected: null) with { Reason = "the harness could not judge this cell: the fault struck nothing" },
            Cell("pgbouncer-restart", "pgbouncer-tx", Verdict.Survived, Verdict.Survived),
        ],
    };

    private static CellRecord Cell(string fault, string profile, Verdict verdict, Verdict? expected) => new()
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
    };

    /// <summary>
    /// The sample with a timeline for every cell that ran, shaped like a real one: 250 ms buckets over 10 s,
    /// a fault window from 2 s to 5 s (two windows for tcp-reset), a burst of errors and slow requests after
    /// the strike, the pool emptied and refilled.
    /// </summary>
    public static MatrixRecord Charted()
    {
        var m = Create();
        return m with
        {
        Cells = [.. m.Cells.Select((c, i) => c.Verdict == Verdict.NotApplicable ? c : c with
        {
            Windows = c.Fault == "tcp-reset"
                ? [new FaultWindow(2000, 3000, "reset the first connection"), new FaultWindow(5000, 5250.5, "reset another")]
                : [new FaultWindow(2000, 5000, "pg_terminate_backend on 10 idle connections")],
            Series = Series(i),
        })],
        };
    }

    private static CellSeries Series(int seed)
    {
        var buckets = new List<SeriesBucket>();
        for (var i = 0; i < 40; i++)
        {
            var at = i * 250.0;
            var struck = at is >= 2000 and < 2750;
            var fail = struck ? 3 + (i + seed) % 4 : 0;
            var hung = seed == 3 && at is >= 2000 and < 2500 ? 2 : 0;
            var unknown = seed == 4 && i == 9 ? 1 : 0;
            var ok = at < 1500 ? 12 + i % 3 : 20 - fail + (i + seed) % 5;
            buckets.Add(new SeriesBucket(at, ok, fail, unknown, hung,
                P50Ms: struck ? 4.5 : 1.2 + (i % 4) * 0.1,
                MaxMs: struck ? 180 + i * 10 : 6 + (i * 7 + seed) % 20,
                ServerConnections: at < 2000 ? 10 : at < 2500 ? (int?)null : at < 3500 ? 2 : 6));
        }
        return new CellSeries(CellSeries.DefaultBucketMs, buckets);
    }

    /// <summary>A run of 17 faults x <paramref name="profiles"/> profiles, names as long as the real ones: for layouts at a fixed width.</summary>
    public static MatrixRecord Wide(int profiles)
    {
        string[] faults = ["idle-backends-killed", "backend-killed-mid-transaction", "tcp-reset-mid-transaction", "commit-ack-lost", "black-hole",
            "server-idle-timeout", "silent-idle-drop", "max-connection-age", "scale-to-zero", "server-restart", "server-crash", "server-freeze",
            "latency-spike", "pool-exhaustion", "connection-limit", "session-state-loss", "data-cut"];
        var verdicts = new[] { Verdict.Survived, Verdict.Recovered, Verdict.Recovered, Verdict.Hung, Verdict.Survived, Verdict.NotApplicable, Verdict.Corrupted };
        var names = Enumerable.Range(1, profiles).Select(i => i % 3 == 0 ? $"pooled-via-pgbouncer-{i}" : i % 3 == 1 ? $"validate-on-checkout-{i}" : $"retry-{i}").ToList();
        return Create() with
        {
            Cells = [.. faults.SelectMany((f, fi) => names.Select((p, pi) => Cell(f, p, verdicts[(fi + pi) % verdicts.Length], null)))],
        };
    }

    /// <summary>The same run with one verdict changed: the shape of a nightly regression.</summary>
    public static MatrixRecord WithVerdict(this MatrixRecord result, string fault, string profile, Verdict verdict) => result with
    {
        Cells = result.Cells.Select(c => c.Fault == fault && c.Profile == profile ? c with { Verdict = verdict } : c).ToList(),
    };
}
