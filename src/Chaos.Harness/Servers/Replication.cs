namespace Chaos.Harness.Servers;

/// <summary>The server settings a primary and its streaming standby run with.</summary>
internal static class Replication
{
    /// <summary>The standby's application_name on the primary: what synchronous_standby_names waits for.</summary>
    public const string StandbyName = "standby";

    /// <summary>WAL a standby can stream, and senders for it (the harness's default is wal_level=minimal, no senders).</summary>
    public static IReadOnlyDictionary<string, string> PrimarySettings(bool synchronous)
    {
        var settings = new Dictionary<string, string>
        {
            ["wal_level"] = "replica",
            ["max_wal_senders"] = "4",
            ["hot_standby"] = "on",
            // A commit is acknowledged once it is durable on the primary and, when synchronous, flushed on the standby.
            ["synchronous_commit"] = "on",
        };
        if (synchronous)
        {
            settings["synchronous_standby_names"] = StandbyName;
        }
        return settings;
    }
}
