namespace Chaos.Harness.Proxy;

/// <summary>A Toxiproxy API call that did not succeed: the server's status and message.</summary>
public sealed class ToxiproxyException(int status, string serverMessage, string request)
    : Exception($"Toxiproxy {request} failed: {status} {serverMessage}")
{
    /// <summary>The HTTP status the API answered.</summary>
    public int Status { get; } = status;

    /// <summary>The error message the API answered.</summary>
    public string ServerMessage { get; } = serverMessage;
}
