using System.Net.Sockets;
using Chaos.Harness.History;
using Npgsql;

namespace Chaos.Harness.Workload;

/// <summary>
/// The one place where an exception becomes an outcome. Decisions come from the stage the operation
/// had reached, SQLSTATE and exception types, never from message text.
/// </summary>
internal static class OutcomeClassifier
{
    /// <summary>
    /// An error before COMMIT was sent means the transaction was rolled back (the server aborts a
    /// transaction whose session dies); an error while COMMIT was in flight leaves the outcome unknown.
    /// </summary>
    public static Outcome Classify(Stage stage) => stage == Stage.Committing ? Outcome.Unknown : Outcome.Fail;

    /// <summary>The SQLSTATE of the error or of the first inner error that has one.</summary>
    public static string? SqlState(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is PostgresException pg)
            {
                return pg.SqlState;
            }
        }
        return null;
    }

    /// <summary>A short, stable description: the exception type chain and SQLSTATE, e.g. "NpgsqlException/IOException".</summary>
    public static string Describe(Exception e)
    {
        var names = new List<string>();
        for (var x = e; x is not null && names.Count < 3; x = x.InnerException)
        {
            names.Add(x.GetType().Name);
        }
        var state = SqlState(e);
        return state is null ? string.Join("/", names) : $"{string.Join("/", names)} {state}";
    }

    /// <summary>The innermost exception's message, on one line and at most 160 characters: what the driver finally said.</summary>
    public static string Message(Exception e)
    {
        var inner = e;
        while (inner.InnerException is { } next)
        {
            inner = next;
        }
        var text = string.Join(' ', inner.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return text.Length <= 160 ? text : text[..157] + "...";
    }

    /// <summary>
    /// What a common retry strategy treats as transient: Npgsql's own <see cref="NpgsqlException.IsTransient"/>
    /// (network errors, timeouts and a short list of SQLSTATEs).
    /// </summary>
    public static bool IsTransientForNaiveRetry(Exception e) => e is NpgsqlException { IsTransient: true };

    /// <summary>
    /// What the idempotent retry treats as retryable: everything Npgsql calls transient, plus the server
    /// telling the session it is going away (admin shutdown, crash, idle timeout) or refusing it for now.
    /// Safe only because that policy resolves an unknown COMMIT before it retries. It also covers an
    /// ObjectDisposedException from inside Npgsql: Npgsql 10 sometimes reports a connection broken by a
    /// TCP reset that way (NpgsqlConnector.ResetCancellation on a disposed connector), which
    /// <see cref="NpgsqlException.IsTransient"/> cannot see; and an InvalidOperationException, which is how
    /// the next command of a transaction learns that Keepalive found its connection dead while it waited
    /// ("Transaction is already completed"): the session died, so the transaction rolled back.
    /// </summary>
    public static bool IsRetryable(Exception e) =>
        IsTransientForNaiveRetry(e)
        || e is ObjectDisposedException or InvalidOperationException
        || SqlState(e) is { } s && (s.StartsWith("08", StringComparison.Ordinal) || s is "57P01" or "57P02" or "57P03" or "57P05" or "53300" or "40001" or "40P01")
        || e is NpgsqlException { InnerException: IOException or SocketException or TimeoutException }
        || e is TimeoutException;
}
