namespace Chaos.Harness.Servers;

/// <summary>
/// A setup problem the user must fix (missing binaries, no unprivileged user, a server that would not start).
/// The message says what is wrong and how to fix it; it is meant to be shown as is, without a stack trace.
/// </summary>
internal sealed class ServerSetupException : Exception
{
    public ServerSetupException(string message) : base(message) { }
    public ServerSetupException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// A fault or option needs control of the server process (stop, freeze, restart, max_connections),
/// but the harness is attached to a server it did not start (CHAOS_PG_ADMIN).
/// </summary>
internal sealed class NeedsManagedServerException : Exception
{
    public NeedsManagedServerException(string what)
        : base($"needs a managed server: {what} (the harness is attached to a server it did not start; unset CHAOS_PG_ADMIN to let it start its own)")
        => What = what;

    /// <summary>The action or option that needed a managed server.</summary>
    public string What { get; }
}
