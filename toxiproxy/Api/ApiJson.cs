using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Toxiproxy.Toxics;

namespace Toxiproxy.Api;

/// <summary>
/// A proxy as the API shows it, fields in Toxiproxy's order. <c>Logger</c> is what Go's
/// json.Marshal makes of the exported, untagged <c>Proxy.Logger</c> field: always <c>{}</c>; kept
/// so our answers have the same keys. <c>connections</c> is ours (open client connections now),
/// last, and ignored by clients written for the real server.
/// </summary>
internal sealed record ProxyJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("listen")] string Listen,
    [property: JsonPropertyName("upstream")] string Upstream,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("Logger")] EmptyJson Logger,
    [property: JsonPropertyName("toxics")] IReadOnlyList<ToxicJson> Toxics,
    [property: JsonPropertyName("connections")] int Connections)
{
    public static async Task<ProxyJson> FromAsync(Proxy proxy, CancellationToken ct) =>
        new(proxy.Name, proxy.Listen, proxy.Upstream, proxy.Enabled, EmptyJson.Instance,
            [.. (await proxy.Toxics.GetAllAsync(ct).ConfigureAwait(false)).Select(ToxicJson.From)],
            proxy.ConnectionCount);
}

internal sealed record EmptyJson
{
    public static readonly EmptyJson Instance = new();
}

/// <summary>A toxic as Toxiproxy marshals its ToxicWrapper: attributes first, the stream as it was given.</summary>
internal sealed record ToxicJson(
    [property: JsonPropertyName("attributes")] JsonElement Attributes,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("stream")] string Stream,
    [property: JsonPropertyName("toxicity")] float Toxicity)
{
    public static ToxicJson From(ToxicDefinition toxic) =>
        new(ToxicRegistry.Attributes(toxic.Toxic), toxic.Name, toxic.Type, toxic.Stream, toxic.Toxicity);
}

internal sealed record ErrorJson(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("status")] int Status);

/// <summary>
/// POST /populate's answer. On failure Toxiproxy answers this same object with <c>error</c> and
/// <c>status</c> added and <c>proxies</c> holding those done before the failure; an empty list is
/// <c>null</c> (Go's nil slice).
/// </summary>
internal sealed record PopulateJson(
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonPropertyName("status"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Status,
    [property: JsonPropertyName("proxies")] IReadOnlyList<ProxyJson>? Proxies);

/// <summary>
/// Request bodies, bounded: at most <see cref="MaxBodyBytes"/> (413 beyond), and at most
/// <see cref="ConcurrentReads"/> read and parsed at once, so that what bodies may allocate is
/// bounded whatever clients send.
/// </summary>
internal static class RequestBody
{
    /// <summary>
    /// The largest real request is a populate of every proxy a test suite needs: about 150 bytes a
    /// proxy, so a thousand proxies is 150 KB. Seven times that is room, not a risk.
    /// </summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>
    /// A streamed body over the limit is read to its end and thrown away, up to this many bytes, before
    /// the 413 is sent: closing the connection with the rest unread resets it, and a client still writing
    /// then sees a broken pipe instead of the answer (Go's server drains for the same reason).
    /// </summary>
    public const long MaxDiscardedBytes = 16L * 1024 * 1024;

    private const int ConcurrentReads = 4;

    private static readonly SemaphoreSlim Reading = new(ConcurrentReads, ConcurrentReads);

    /// <summary>The body's first JSON value as Go would decode it; null for an empty-effect <c>null</c>.</summary>
    public static async Task<JsonElement?> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw ApiError.BodyTooLarge.ToException();
        }

        var tooLarge = false;
        await Reading.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await ReadAsync(request.Body, ct).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            // Past MaxDiscardedBytes: Kestrel closes the connection, nothing more is read.
            throw ApiError.BodyTooLarge.ToException();
        }
        catch (ApiException e) when (e.Status == 413)
        {
            tooLarge = true;
            throw;
        }
        finally
        {
            Reading.Release();
            if (tooLarge) await DiscardAsync(request.Body, ct).ConfigureAwait(false);
        }
    }

    private static async Task DiscardAsync(Stream body, CancellationToken ct)
    {
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await body.ReadAsync(scratch, ct).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException)
        {
            // Over MaxDiscardedBytes, or the client gave up: the 413 goes out on a closing connection.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public static async Task<JsonElement?> ReadAsync(Stream body, CancellationToken ct)
    {
        // One byte more than allowed tells "too large" from "exactly the limit".
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(MaxBodyBytes + 1);
        try
        {
            var length = 0;
            int read;
            while (length <= MaxBodyBytes && (read = await body.ReadAsync(buffer.AsMemory(length, MaxBodyBytes + 1 - length), ct).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            if (length > MaxBodyBytes)
            {
                throw ApiError.BodyTooLarge.ToException();
            }

            return GoJson.Parse(buffer, length);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
