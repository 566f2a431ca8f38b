using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Matrix;

/// <summary>The matrix's slots: a cell that opens many sessions at once takes several, and none are lost.</summary>
public class CellSlotsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Test]
    public void The_bursting_faults_take_more_than_one_slot_and_every_other_fault_one()
    {
        var weights = FaultCatalog.Names.ToDictionary(f => f, f => CellSlots.WeightOf(FaultCatalog.Get(f).PeakSessions));

        weights["pool-exhaustion"].Should().Be(3, "a burst of 30 held sessions and 4 workers");
        weights["connection-limit"].Should().Be(2, "3 instances of 2 workers and a burst of 6");
        weights.Where(w => w.Key is not ("pool-exhaustion" or "connection-limit")).Should().OnlyContain(w => w.Value == 1);
    }

    [Test]
    public async Task A_heavy_cell_waits_until_enough_slots_are_free_and_a_light_one_behind_it_waits_its_turn()
    {
        using var slots = new CellSlots(4);
        using var bound = new CancellationTokenSource(Bound);
        var first = await slots.TakeAsync(2, bound.Token);

        var heavy = slots.TakeAsync(3, bound.Token);
        var light = slots.TakeAsync(1, bound.Token);
        await Task.Yield();
        heavy.IsCompleted.Should().BeFalse("2 of 4 slots are taken and the heavy cell needs 3");
        light.IsCompleted.Should().BeFalse("the light cell queues behind the heavy one instead of starving it");

        first.Dispose();
        using (await heavy.WaitAsync(bound.Token))
        {
            // The heavy cell gathered its 3 first; the light one then takes the fourth beside it.
            (await light.WaitAsync(bound.Token)).Dispose();
        }
    }

    [Test]
    public async Task A_cancelled_wait_gives_back_the_slots_it_had_gathered()
    {
        using var slots = new CellSlots(3);
        using var bound = new CancellationTokenSource(Bound);
        var held = await slots.TakeAsync(2, bound.Token);
        using var cancel = new CancellationTokenSource();

        var waiting = slots.TakeAsync(3, cancel.Token);
        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        held.Dispose();

        // Every slot came back (the cancelled wait's one and the two held), or this waits until the bound fails it.
        (await slots.TakeAsync(3, bound.Token).WaitAsync(bound.Token)).Dispose();
    }

    [Test]
    public async Task A_weight_beyond_the_capacity_takes_every_slot_instead_of_waiting_forever()
    {
        using var slots = new CellSlots(2);
        using var bound = new CancellationTokenSource(Bound);

        var all = await slots.TakeAsync(5, bound.Token).WaitAsync(bound.Token);
        var next = slots.TakeAsync(1, bound.Token);
        await Task.Yield();
        next.IsCompleted.Should().BeFalse("both slots are taken");

        all.Dispose();
        (await next.WaitAsync(bound.Token)).Dispose();
    }
}
