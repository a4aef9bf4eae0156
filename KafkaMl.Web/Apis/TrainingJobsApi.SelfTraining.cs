using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Apis;

// Self-training rounds as a semi-supervised job reports them (POST .../self-training): kept on the result by window,
// then round; GET /api/results/{id} shows them as selfTraining.
public static partial class TrainingJobsApi
{
    public static async Task<Results<NoContent, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> ReportSelfTrainingRound(
        int resultId, SelfTrainingRoundReport report, KafkaMlDbContext db, [FromServices] ResultsNotifier notifier, CancellationToken cancellationToken)
    {
        var errors = CheckRound(report);
        if (errors.Any) return errors.ToProblem();

        var current = await ReadAsync(db, resultId, cancellationToken);
        if (current is null) return ResultNotFound(resultId);
        if (current.Status.IsFinal()) return Final(resultId, current.Status);

        var round = new SelfTrainingRound(
            report.Round,
            report.Added,
            new Dictionary<string, int>(report.ClassCounts ?? new Dictionary<string, int>()),
            report.Confidence,
            new Dictionary<string, double>(report.TestMetrics ?? new Dictionary<string, double>()),
            report.PoolLeft,
            report.Window);
        // One job reports its rounds one at a time and in order, so reading, replacing and writing the list is safe.
        var result = await db.TrainingResults.SingleOrDefaultAsync(r => r.Id == resultId, cancellationToken);
        if (result is null) return ResultNotFound(resultId);
        if (result.Status.IsFinal()) return Final(resultId, result.Status);
        result.SelfTraining = SelfTrainingRound.With(result.SelfTraining, round);
        await db.SaveChangesAsync(cancellationToken);

        // A round means data arrived; its announcement reloads the result page, which charts the rounds.
        var status = await MarkTrainingAsync(db, notifier, resultId, current, cancellationToken);
        if (status == current.Status) await notifier.NotifyStatusAsync(resultId, current.DeploymentId, status);
        return TypedResults.NoContent();
    }

    /// <summary>Every reason the round report is unusable, field by field.</summary>
    private static ValidationErrors CheckRound(SelfTrainingRoundReport report)
    {
        var errors = new ValidationErrors();
        if (report.Round < 0) errors.Add("round", $"Rounds are numbered from 0, the supervised-only training ({report.Round} given).");
        if (report.Added < 0) errors.Add("added", $"The samples added cannot be negative ({report.Added} given).");
        if (report.PoolLeft < 0) errors.Add("poolLeft", $"The unlabelled samples left cannot be negative ({report.PoolLeft} given).");
        if (report.Window is < 1) errors.Add("window", $"Windows are numbered from 1 ({report.Window} given).");
        if (SemiSupervisedSettings.ConfidenceProblem(report.Confidence) is { } confidence) errors.Add("confidence", confidence);
        if (report.ClassCounts?.Values.Any(count => count < 0) == true) errors.Add("classCounts", "The class counts cannot be negative.");
        return errors;
    }
}
