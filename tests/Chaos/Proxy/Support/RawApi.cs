using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Chaos.Tests.Proxy.Support;

/// <summary>A raw API answer: status, body text, and the body as JSON when it is JSON.</summary>
public sealed record RawResponse(int Status, string Body, string? ContentType)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

public static class RawApi
{
    public static async Task<RawResponse> SendAsync(
        this HttpClient http, string method, string path, string? body = null, CancellationToken ct = default, string? userAgent = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/'));
        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await http.SendAsync(request, ct);
        return new RawResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct), response.Content.Headers.ContentType?.MediaType);
    }
}
