using Chaos.Harness.Checking;
using Chaos.Harness.History;
using Violations = Chaos.Harness.History.Violations;
using FluentAssertions;
using NUnit.Framework;
using static Chaos.Tests.Checking.Histories;

namespace Chaos.Tests.Checking;

/// <summary>The checkers on hand-built histories: every verdict and every integrity rule, no server.</summary>
public class JudgeTests
{
    [Test]
    public void No_error_at_all_is_survived()
    {
        var judgement = Steady().Write(2000, Outcome.Ok, 1, 1).Judge();

        judgement.Verdict.Should().Be(Verdict.Survived);
        judgement.Errors.Should().Be(0);
        judgement.RecoveryMs.Should().BeNull();
        judgement.Reason.Should().StartWith("no error reached the application");
    }

    [Test]
    public void Errors_during_the_fault_then_healthy_is_recovered_with_the_time_to_recover()
    {
        var judgement = Steady().Read(3500, Outcome.Fail, sqlState: "57P01").Read(4200, Outcome.Fail, sqlState: "57P01").Judge();

        judgement.Verdict.Should().Be(Verdict.Recovered);
        judgement.Errors.Should().Be(2);
        judgement.RecoveryMs.Should().Be(300, "the first success invoked after the last failure came 300 ms after the heal");
        judgement.Reason.Should().Contain("57P01");
    }

    [Test]
    public void An_unknown_commit_counts_as_an_error_the_application_saw()
    {
        var judgement = Steady().Write(3500, Outcome.Unknown, 1, 1).Judge();

        judgement.Verdict.Should().Be(Verdict.Recovered);
        judgement.Unknown.Should().Be(1);
    }

    [Test]
    public void A_failure_in_the_healthy_tail_is_failed()
    {
        var judgement = Steady().Read(StopAt - 500, Outcome.Fail).Judge();

        judgement.Verdict.Should().Be(Verdict.Failed);
        judgement.Reason.Should().Contain("after the heal still failed");
    }

    [Test]
    public void A_failure_before_the_tail_is_not_failed()
    {
        Steady().Read(StopAt - Harness.Timing.HealthyTail.TotalMilliseconds - 200, Outcome.Fail).Judge().Verdict.Should().Be(Verdict.Recovered);
    }

    [Test]
    public void No_request_after_the_heal_is_failed()
    {
        var judgement = new Histories().Read(1000).Read(2000).Judge();

        judgement.Verdict.Should().Be(Verdict.Failed);
        judgement.Reason.Should().Be("no request completed after the heal");
    }

    [Test]
    public void A_request_without_an_answer_is_hung_and_outranks_failed()
    {
        var judgement = Steady().Read(3500, Outcome.Hung).Read(StopAt - 500, Outcome.Fail).Judge();

        judgement.Verdict.Should().Be(Verdict.Hung);
        judgement.Reason.Should().Contain("1 request(s) still waiting after");
    }

    [Test]
    public void A_watchdog_that_fired_is_hung()
    {
        Steady().Judge(f => f with { WatchdogFired = true }).Verdict.Should().Be(Verdict.Hung);
    }

    [Test]
    public void An_acknowledged_write_missing_from_the_database_is_lost()
    {
        var judgement = Steady().Write(2000, Outcome.Ok, 0, 0).Judge();

        judgement.Verdict.Should().Be(Verdict.Corrupted);
        judgement.Lost.Should().Be(1);
        judgement.Reason.Should().Be("1 acknowledged write(s) lost");
    }

    [Test]
    public void A_write_applied_twice_is_duplicated()
    {
        var judgement = Steady().Write(3500, Outcome.Ok, 2, 2).Judge();

        judgement.Verdict.Should().Be(Verdict.Corrupted);
        judgement.Duplicated.Should().Be(1);
        judgement.Reason.Should().Contain("applied twice");
    }

    [Test]
    public void A_transaction_with_one_of_its_two_rows_is_half_applied()
    {
        Steady().Write(3500, Outcome.Unknown, 1, 0).Judge().Reason.Should().Be("1 transaction(s) half-applied");
    }

    [Test]
    public void A_write_the_application_was_told_failed_must_not_be_there()
    {
        Steady().Write(3500, Outcome.Fail, 1, 1).Judge().Reason.Should().Be("1 write(s) applied although the application was told they failed");
    }

    [Test]
    public void An_unknown_or_hung_write_may_be_there_or_not_but_whole()
    {
        Steady().Write(3500, Outcome.Unknown, 1, 1).Write(3600, Outcome.Unknown, 0, 0).Judge().Verdict.Should().Be(Verdict.Recovered);
        Steady().Write(3500, Outcome.Hung, 1, 1).Judge().Verdict.Should().Be(Verdict.Hung);
    }

    [Test]
    public void A_row_nobody_wrote_is_a_phantom()
    {
        Steady().Phantom().Judge().Reason.Should().Be("1 row(s) nobody wrote");
    }

    [Test]
    public void A_request_that_read_another_tenants_data_is_corrupted_even_though_it_succeeded()
    {
        var judgement = Steady().Read(3500, violation: "search_path lost: tenant 1 read tenant 2's data").Judge();

        judgement.Verdict.Should().Be(Verdict.Corrupted);
        judgement.Reason.Should().Contain("not theirs").And.Contain("tenant 1 read tenant 2");
    }

    [Test]
    public void A_read_that_missed_the_requests_own_write_is_a_stale_read_counted_apart()
    {
        var judgement = Steady().Read(3500, violation: $"{Violations.StaleRead}: the read right after op 7's acknowledged write found 0 of its 2 rows").Judge();

        judgement.Verdict.Should().Be(Verdict.Corrupted);
        judgement.StaleReads.Should().Be(1);
        judgement.Reason.Should().Be("1 read(s) missed the request's own acknowledged write (read-your-writes)");
    }

    [Test]
    public void Errors_are_counted_by_sqlstate_or_else_by_the_exception()
    {
        var judgement = Steady()
            .Read(3500, Outcome.Fail, sqlState: "25006").Read(3600, Outcome.Fail, sqlState: "25006")
            .Read(3700, Outcome.Fail, error: "NpgsqlException/EndOfStreamException").Judge();

        judgement.ErrorsByCause.Should().Equal(new Dictionary<string, int> { ["25006"] = 2, ["NpgsqlException/EndOfStreamException"] = 1 });
        judgement.Reason.Should().StartWith("3 error(s) (25006, NpgsqlException/EndOfStreamException)");
    }

    [Test]
    public void The_first_write_after_the_fault_says_how_long_writes_were_out()
    {
        var judgement = new Histories().Read(1000).Write(2000, Outcome.Ok, 1, 1)
            .Write(FaultAt + 100, Outcome.Fail, 0, 0).Write(FaultAt + 1500, Outcome.Ok, 1, 1).Read(StopAt - 100).Judge();

        judgement.FirstWriteMs.Should().Be(1505, "the write invoked 1.5 s after the fault completed 5 ms later");
    }

    [Test]
    public void Corrupted_outranks_hung_and_the_harness_error()
    {
        var judgement = Steady().Write(2000, Outcome.Ok, 0, 0).Read(3500, Outcome.Hung)
            .Judge(f => f with { HarnessProblems = ["the fault struck nothing"] });

        judgement.Verdict.Should().Be(Verdict.Corrupted);
    }

    [Test]
    public void A_fault_that_struck_nothing_is_an_error_of_the_harness_not_survived()
    {
        var judgement = Steady().Judge(f => f with { HarnessProblems = ["the fault struck nothing: no backend carried application_name 'x'"] });

        judgement.Verdict.Should().Be(Verdict.Error);
        judgement.Reason.Should().StartWith("the harness could not judge this cell: the fault struck nothing");
    }

    [Test]
    public void A_checker_that_throws_gives_an_error_verdict_never_a_product_verdict()
    {
        var judgement = Judge.Cell(Steady().History(), new FinalState(), [new Throws(), new ErrorChecker()]);

        judgement.Verdict.Should().Be(Verdict.Error);
        judgement.Reason.Should().Contain("Throws failed: InvalidOperationException: broken checker");
    }

    [Test]
    public void Leftover_sessions_and_connections_are_remarks_on_the_reason_not_verdicts()
    {
        var judgement = Steady().Judge(f => f with { IdleInTransaction = 1, LeftoverConnections = 2 });

        judgement.Verdict.Should().Be(Verdict.Survived);
        judgement.Reason.Should().Contain("left 1 session(s) idle in transaction").And.Contain("2 server connection(s) outlived the pool");
    }

    [Test]
    public void Latency_percentiles_count_successes_only()
    {
        var judgement = Steady().Judge();

        judgement.P50Ms.Should().Be(2);
        judgement.P99Ms.Should().Be(2);
        judgement.Requests.Should().Be(100);
    }

    [Test]
    public void The_priority_is_stated_once_and_covers_every_verdict_a_checker_can_find()
    {
        Judge.Priority.Should().Equal(Verdict.Corrupted, Verdict.Error, Verdict.Hung, Verdict.Failed, Verdict.Recovered, Verdict.Survived);
    }

    private sealed class Throws : IChecker
    {
        public Finding? Check(CellHistory history, FinalState final) => throw new InvalidOperationException("broken checker");
    }
}
