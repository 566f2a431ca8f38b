using Chaos.Harness.History;

namespace Chaos.Harness.Checking;

/// <summary>Sessions left idle in transaction or holding locks, and server connections that outlived the pool: remarks, not verdicts.</summary>
internal sealed class LeftoverChecker : IChecker
{
    public Finding? Check(CellHistory history, FinalState final)
    {
        var remarks = new List<string>();
        if (final.IdleInTransaction > 0 || final.HoldingLocks > 0)
        {
            remarks.Add($"left {final.IdleInTransaction} session(s) idle in transaction, {final.HoldingLocks} holding locks");
        }
        if (final.LeftoverConnections > 0)
        {
            remarks.Add($"{final.LeftoverConnections} server connection(s) outlived the pool");
        }
        return remarks.Count == 0 ? null : Finding.Remark(string.Join("; ", remarks));
    }
}
