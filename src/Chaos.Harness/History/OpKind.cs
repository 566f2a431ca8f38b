namespace Chaos.Harness.History;

/// <summary>What one request of the simulated application does.</summary>
internal enum OpKind
{
    /// <summary>A one-statement read.</summary>
    Read,

    /// <summary>A transaction of two inserts under one write id: a half-applied one is detectable.</summary>
    Write,

    /// <summary>A read of a large result whose row count is known: truncation is detectable.</summary>
    LargeRead,

    /// <summary>Session state (search_path, a prepared statement, an advisory lock) used across transactions.</summary>
    SessionState,

    /// <summary>Holds a connection through a slow external call, doing nothing on the server.</summary>
    Hold,

    /// <summary>A write, then a read of its own rows through the application's read data source: a stale read is detectable.</summary>
    ReadYourWrite,
}
