using Npgsql;

namespace Chaos.Harness.Profiles.Policies;

/// <summary>How the application takes a connection from its pool: a profile's checkout strategy.</summary>
internal interface ICheckoutPolicy
{
    /// <summary>One word for `chaos list` and repro: "plain", "validate".</summary>
    string Name { get; }

    /// <summary>True when a connection is checked before the request uses it.</summary>
    bool Validates { get; }

    /// <summary>Rents an open connection from <paramref name="source"/>; <paramref name="broken"/> hears of a dead one that was caught.</summary>
    Task<NpgsqlConnection> RentAsync(NpgsqlDataSource source, Action<Exception> broken, CancellationToken ct);
}

/// <summary>The checkout policies the built-in profiles use.</summary>
internal static class CheckoutPolicies
{
    /// <summary>Npgsql's own: the pool hands out whatever it holds, unchecked.</summary>
    public static ICheckoutPolicy Plain { get; } = new PlainCheckout();

    /// <summary>SQLAlchemy's pool_pre_ping: SELECT 1 on every rent; a failed ping clears the pool and rents again.</summary>
    public static ICheckoutPolicy Validate { get; } = new ValidateOnCheckout();
}

internal sealed class PlainCheckout : ICheckoutPolicy
{
    public string Name => "plain";
    public bool Validates => false;

    public async Task<NpgsqlConnection> RentAsync(NpgsqlDataSource source, Action<Exception> broken, CancellationToken ct) =>
        await source.OpenConnectionAsync(ct);
}
