using System.Collections.Concurrent;
using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;
using Chaos.Harness.Servers;
using NUnit.Framework;

namespace Chaos.Tests.Matrix;

/// <summary>
/// Runs the cells of a fault once, every profile side by side (each in its own cluster), and hands the
/// results to the one-test-per-cell assertions. Filtering the tests to one fault runs only that fault.
/// </summary>
internal static class MatrixCells
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<CellResult>>>> ByFault = new();

    public static async Task<CellResult> GetAsync(string fault, string profile)
    {
        var cells = await ByFault.GetOrAdd(fault, f => new Lazy<Task<IReadOnlyList<CellResult>>>(() => RunAsync(f))).Value;
        return cells.Single(c => c.Profile == profile);
    }

    private static async Task<IReadOnlyList<CellResult>> RunAsync(string fault)
    {
        try
        {
            // Bounded: the cell watchdog ends any cell, so this only guards the harness itself.
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var result = await MatrixRunner.RunAsync(new MatrixOptions { Faults = [fault] }, null, bound.Token);
            return result.Cells;
        }
        catch (ServerSetupException e)
        {
            Assert.Fail(e.Message);
            throw;
        }
    }
}
