namespace Toxiproxy;

/// <summary>Which way bytes flow through a proxied connection.</summary>
internal enum StreamDirection
{
    /// <summary>Client to server.</summary>
    Upstream = 0,

    /// <summary>Server to client.</summary>
    Downstream = 1,
}

internal static class StreamDirections
{
    public static string ToWire(this StreamDirection direction) =>
        direction == StreamDirection.Upstream ? "upstream" : "downstream";

    public static bool TryParse(string? wire, out StreamDirection direction)
    {
        switch (wire?.ToLowerInvariant())
        {
            case "upstream":
                direction = StreamDirection.Upstream;
                return true;
            case "downstream":
                direction = StreamDirection.Downstream;
                return true;
            default:
                direction = default;
                return false;
        }
    }
}
