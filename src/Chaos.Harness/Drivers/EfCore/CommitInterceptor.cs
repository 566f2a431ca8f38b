using System.Data.Common;
using Chaos.Harness.Workload;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Chaos.Harness.Drivers.EfCore;

/// <summary>
/// EF Core's seam around COMMIT, however the transaction is committed (by the application, or by
/// <c>ExecuteInTransactionAsync</c> inside EF): just before it is the <see cref="HookPoint.BeforeCommit"/> strike
/// point, and from there on an error leaves the outcome unknown; a COMMIT that fails fails the attempt.
/// </summary>
internal sealed class CommitInterceptor(Hooks hooks) : DbTransactionInterceptor
{
    public override async ValueTask<InterceptionResult> TransactionCommittingAsync(
        DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if ((eventData.Context as ChaosDbContext)?.Request is { Kind: History.OpKind.Write } request)
        {
            await hooks.ReachAsync(HookPoint.BeforeCommit, request, cancellationToken);
            request.Stage = Stage.Committing;
        }
        return result;
    }

    // A COMMIT that fails inside ExecuteInTransactionAsync never reaches the driver's code before EF decides
    // what to do next: this is where the attempt is known to have failed.
    public override Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        (eventData.Context as ChaosDbContext)?.Request?.FailAttempt();
        return Task.CompletedTask;
    }
}
