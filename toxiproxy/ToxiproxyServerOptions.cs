namespace Toxiproxy;

/// <summary>Where the API listens.</summary>
public sealed class ToxiproxyServerOptions
{
    /// <summary>The API's address; loopback unless told otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The API's port; Toxiproxy's default is 8474, 0 picks a free one.</summary>
    public int Port { get; init; } = 8474;
}
