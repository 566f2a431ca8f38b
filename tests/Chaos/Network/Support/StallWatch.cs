using System.Diagnostics;

namespace Chaos.Tests.Network;

/// <summary>
/// Measures how late this process got to run while a timing was taken: a dedicated thread naps 20 ms at
/// a time and records the worst oversleep. The kernel's timers (keepalive, SYN retries) are punctual
/// even on a loaded machine, but the test that observes them is not: on this shared 2-core machine a
/// load average of 11 once delayed a continuation by 7 s. A timing bound is then "what the kernel
/// promises + a fixed slack + the stall measured here", so it stays tight when the machine is quiet and
/// honest when it is not.
/// </summary>
public sealed class StallWatch : IDisposable
{
    private static readonly TimeSpan Nap = TimeSpan.FromMilliseconds(20);
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _worstTicks;

    private StallWatch()
    {
        _thread = new Thread(Watch) { IsBackground = true, Name = "stall watch" };
        _thread.Start();
    }

    public static StallWatch Start() => new();

    /// <summary>The worst delay seen so far beyond the nap itself.</summary>
    public TimeSpan Worst => TimeSpan.FromTicks(Interlocked.Read(ref _worstTicks));

    private void Watch()
    {
        var clock = Stopwatch.StartNew();
        while (!_stop)
        {
            var before = clock.Elapsed;
            Thread.Sleep(Nap);
            var late = clock.Elapsed - before - Nap;
            if (late.Ticks > Interlocked.Read(ref _worstTicks)) Interlocked.Exchange(ref _worstTicks, late.Ticks);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
