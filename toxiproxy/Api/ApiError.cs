namespace Toxiproxy.Api;

/// <summary>An API failure with the HTTP status Toxiproxy gives for it.</summary>
internal sealed class ApiException(string message, int status) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>The one table of (message, status) the API answers errors with, as Toxiproxy 2.x does.</summary>
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
    public static readonly ApiError InvalidAddress = new("invalid address", 400);
    public static readonly ApiError ListenFailed = new("could not listen", 409);
    public static readonly ApiError Forbidden = new("User agent not allowed", 403);

    public ApiException ToException() => new(Message, Status);

    /// <summary>Toxiproxy joins the detail after the message: "missing required field: upstream".</summary>
    public ApiException With(string detail) => new($"{Message}: {detail}", Status);
}
