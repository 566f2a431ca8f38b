namespace Toxiproxy.Api;

/// <summary>An API failure with the HTTP status Toxiproxy gives for it.</summary>
internal sealed class ApiException(string message, int status) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// The one table of (message, status) the API answers errors with. The first eight are
/// Toxiproxy 2.12's own (api.go). The rest are where Toxiproxy answers 500 (a listen address that
/// does not resolve or cannot be bound) or has no limit at all (body size, name length): we answer
/// 4xx, worded like Go's own error where there is one.
/// </summary>
internal sealed record ApiError(string Message, int Status)
{
    public static readonly ApiError BadRequestBody = new("bad request body", 400);
    public static readonly ApiError MissingField = new("missing required field", 400);
    public static readonly ApiError ProxyNotFound = new("proxy not found", 404);
    public static readonly ApiError ProxyAlreadyExists = new("proxy already exists", 409);
    public static readonly ApiError InvalidStream = new("stream was invalid, can be either upstream or downstream", 400);
    public static readonly ApiError InvalidToxicType = new("invalid toxic type", 400);
    public static readonly ApiError ToxicAlreadyExists = new("toxic already exists", 409);
    public static readonly ApiError ToxicNotFound = new("toxic not found", 404);

    /// <summary>Toxiproxy: 500 with Go's net error ("listen tcp: lookup x: no such host").</summary>
    public static readonly ApiError InvalidAddress = new("listen tcp", 400);

    /// <summary>Toxiproxy: 500 "listen tcp 127.0.0.1:5432: bind: address already in use".</summary>
    public static readonly ApiError ListenFailed = new("listen tcp", 409);

    public static readonly ApiError BodyTooLarge = new("request body too large", 413);

    public ApiException ToException() => new(Message, Status);

    /// <summary>Toxiproxy joins the detail after the message: "missing required field: upstream".</summary>
    public ApiException With(string detail) => new($"{Message}: {detail}", Status);

    /// <summary>Go's net errors put the address before the colon: "listen tcp 127.0.0.1:1: bind: ...".</summary>
    public ApiException At(string address, string detail) => new($"{Message} {address}: {detail}", Status);
}
