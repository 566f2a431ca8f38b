namespace Chaos.Harness.Matrix;

/// <summary>
/// The matrix's parallelism, counted in sessions opened at once rather than cells. Every new session is
/// a PostgreSQL backend process, about 25 ms of a 2-core machine (240 opened at once took 5 to 7 s), so
/// eight pool-exhaustion cells bursting 30 sessions each at the same moment stretched their requests past
/// the hung threshold (p99 6.8 s), while three at a time stay under 4 s. A cell takes one slot per
/// <see cref="SessionsPerSlot"/> sessions its fault opens at once (<see cref="Faults.IFault.PeakSessions"/>),
/// so a verdict does not depend on which cells ran beside it.
/// </summary>
internal sealed class CellSlots : IDisposable
{
    private readonly SemaphoreSlim _slots;
    // One cell gathers its slots at a time: two heavy cells each holding part of what they need would wait forever.
    private readonly SemaphoreSlim _gather = new(1, 1);

    public CellSlots(int capacity)
    {
        Capacity = Math.Max(1, capacity);
        _slots = new SemaphoreSlim(Capacity);
    }

    public int Capacity { get; }

    /// <summary>A default cell's four workers and a little more: one slot.</summary>
    public const int SessionsPerSlot = 12;

    public static int WeightOf(int peakSessions) => Math.Max(1, (peakSessions + SessionsPerSlot - 1) / SessionsPerSlot);

    /// <summary>Waits for <paramref name="weight"/> slots (clamped to 1..capacity); dispose the answer to give them back.</summary>
    public async Task<IDisposable> TakeAsync(int weight, CancellationToken ct)
    {
        var wanted = Math.Clamp(weight, 1, Capacity);
        var taken = 0;
        await _gather.WaitAsync(ct);
        try
        {
            for (; taken < wanted; taken++)
            {
                await _slots.WaitAsync(ct);
            }
        }
        catch
        {
            if (taken > 0) _slots.Release(taken);
            throw;
        }
        finally
        {
            _gather.Release();
        }
        return new Taken(this, wanted);
    }

    public void Dispose()
    {
        _slots.Dispose();
        _gather.Dispose();
    }

    private sealed class Taken(CellSlots owner, int count) : IDisposable
    {
        private int _count = count;

        public void Dispose()
        {
            var count = Interlocked.Exchange(ref _count, 0);
            if (count > 0) owner._slots.Release(count);
        }
    }
}
