using Microsoft.EntityFrameworkCore.Storage;
using Npgsql.EntityFrameworkCore.PostgreSQL;

namespace Chaos.Harness.Drivers.EfCore;

/// <summary>
/// <c>EnableRetryOnFailure()</c> with EF Core's defaults (6 retries, delays growing exponentially with jitter
/// up to 30 s), every delay scaled from production minutes to scenario seconds like every other constant
/// (see <see cref="Timing"/>): what retries and what does not is exactly Npgsql's strategy's.
/// </summary>
internal sealed class ScaledRetryingStrategy(ExecutionStrategyDependencies dependencies, Action<Exception, int> onRetry)
    : NpgsqlRetryingExecutionStrategy(dependencies, DefaultRetries, ProductionMaxDelay, errorCodesToAdd: null)
{
    public const int DefaultRetries = 6;
    private static readonly TimeSpan ProductionMaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>Production to scenario time: a minute becomes a second.</summary>
    public const int Scale = 60;

    /// <summary>The longest delay between two attempts, scaled.</summary>
    public static TimeSpan MaxDelay => ProductionMaxDelay / Scale;

    /// <summary>
    /// The most all retries can wait in total, scaled: EF Core waits (2^n - 1) s times a random factor of up to
    /// 1.1 before retry n (0, 1, 3, 7, 15, then the 30 s cap), so at most 61.6 s in production.
    /// </summary>
    public static TimeSpan MaxTotalBackoff =>
        TimeSpan.FromSeconds(Enumerable.Range(0, DefaultRetries).Sum(n => Math.Min((Math.Pow(2, n) - 1) * 1.1, ProductionMaxDelay.TotalSeconds))) / Scale;

    protected override TimeSpan? GetNextDelay(Exception lastException) => base.GetNextDelay(lastException) / Scale;

    protected override void OnRetry()
    {
        base.OnRetry();
        onRetry(ExceptionsEncountered[^1], ExceptionsEncountered.Count + 1);
    }
}
