using System.Collections.Concurrent;
using Chaos.Harness.Reports;
using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;
using Chaos.Harness.Servers;
using NUnit.Framework;

namespace Chaos.Tests.Matrix;

/// <summary>
/// Runs the cells of a fault once, every profile side by side (each in its own cluster), and hands the
/// results to the one-test-per-cell assertions. Filtering the tests to one fault runs only that fault, and
/// the row after it only in the slots the fault leaves free (cancelled when the tests end).
/// </summary>
internal static class MatrixCells
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<CellRecord>>>> ByFault = new();

    // One set of slots for every row: a row started ahead waits behind the current one's cells instead of
    // running beside them, so it only fills the slots the current row's last cells leave idle.
    private static readonly CellSlots Slots = new(MatrixOptions.DefaultParallelism);
    private static readonly CancellationTokenSource Ending = new();

    /// <summary>The cell's result; <paramref name="thenFault"/>, when given, starts running too, behind this fault's cells.</summary>
    public static async Task<CellRecord> GetAsync(string fault, string profile, string? thenFault = null)
    {
        var cells = Start(fault);
        if (thenFault is not null) _ = Start(thenFault);
        return (await cells).Single(c => c.Profile == profile);
    }

    /// <summary>Ends the rows still running (a row started ahead that no test asked for) and waits for their servers to stop.</summary>
    public static async Task StopAsync()
    {
        await Ending.CancelAsync();
        foreach (var row in ByFault.Values.Where(r => r.IsValueCreated))
        {
            try { await row.Value; }
            catch (Exception e) when (e is OperationCanceledException or AssertionException) { }
        }
    }

    private static Task<IReadOnlyList<CellRecord>> Start(string fault) =>
        ByFault.GetOrAdd(fault, f => new Lazy<Task<IReadOnlyList<CellRecord>>>(() => RunAsync(f))).Value;

    private static async Task<IReadOnlyList<CellRecord>> RunAsync(string fault)
    {
        try
        {
            // Bounded: the cell watchdog ends any cell, so this only guards the harness itself (a row may
            // first wait for the row before it to leave its slots).
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ending.Token);
            bound.CancelAfter(TimeSpan.FromMinutes(10));
            var result = await MatrixRunner.RunAsync(new MatrixOptions { Faults = [fault], Slots = Slots }, null, bound.Token);
            if (result.Partial && !Ending.IsCancellationRequested)
                Assert.Fail($"the {fault} row did not finish within 10 minutes ({result.Cells.Count} cells did)");
            return result.Cells;
        }
        catch (ServerSetupException e)
        {
            Assert.Fail(e.Message);
            throw;
        }
    }
}
