namespace Chaos.Cli;

/// <summary>
/// The machine's busy CPU time and the processes it created, from /proc/stat: what `bench matrix` divides by the
/// cells that ran. Every process counts (PostgreSQL's backends, cp, PgBouncer, the kernel's softirq work), which is
/// the point: on 2 cores the matrix is bound by the CPU a cell costs, not by the harness's own threads.
/// </summary>
internal readonly record struct MachineCpu(double BusySeconds, long Processes)
{
    /// <summary>Now; null where /proc/stat is not there (not Linux) or cannot be read.</summary>
    public static MachineCpu? Read()
    {
        try
        {
            double? busy = null;
            long? processes = null;
            foreach (var line in File.ReadLines("/proc/stat"))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields is ["cpu", ..])
                {
                    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
                    var ticks = fields.Skip(1).Take(8).Select(long.Parse).ToArray();
                    busy = (ticks.Sum() - ticks[3] - ticks[4]) / 100.0; // USER_HZ is 100 on every Linux ABI .NET runs on
                }
                else if (fields is ["processes", var count])
                {
                    processes = long.Parse(count);
                }
            }
            return busy is { } b && processes is { } p ? new MachineCpu(b, p) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static MachineCpu operator -(MachineCpu a, MachineCpu b) => new(a.BusySeconds - b.BusySeconds, a.Processes - b.Processes);
}
