using KafkaMl.Core.Dashboards;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services.Dashboards;

/// <summary>
/// Dashboards as the API and the pages use them: saved configurations (<see cref="DashboardRules"/>), an inference's
/// own dashboard (made the first time it is asked for, from what its result was trained on), and live summaries
/// from the <see cref="DashboardHub"/>.
/// </summary>
public sealed class DashboardService(IDbContextFactory<KafkaMlDbContext> contexts, DashboardHub hub, TimeProvider clock)
{
    /// <summary>What a dashboard's fields must hold (for the form, before saving).</summary>
    public static IReadOnlyDictionary<string, string[]> Check(DashboardRequest request) => DashboardRules.Check(request).Errors.ToDictionary();

    public async Task<List<DashboardResponse>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var dashboards = await db.Dashboards.AsNoTracking().OrderBy(d => d.Id).ToListAsync(cancellationToken);
        return [.. dashboards.Select(DashboardResponse.From)];
    }

    public async Task<Outcome<DashboardResponse>> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var dashboard = await db.Dashboards.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        return dashboard is null ? NotFound(id) : Outcome.Ok(DashboardResponse.From(dashboard));
    }

    public async Task<Outcome<DashboardResponse>> CreateAsync(DashboardRequest request, CancellationToken cancellationToken = default)
    {
        var (errors, dashboard) = DashboardRules.Check(request);
        if (errors.Any) return errors.ToFailure();
        dashboard.Created = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Dashboards.Add(dashboard);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Ok(DashboardResponse.From(dashboard));
    }

    /// <summary>Replaces every field but the inference it belongs to; open views follow on their next update.</summary>
    public async Task<Outcome<DashboardResponse>> UpdateAsync(int id, DashboardRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var dashboard = await db.Dashboards.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (dashboard is null) return NotFound(id);
        var (errors, changed) = DashboardRules.Check(request);
        if (errors.Any) return errors.ToFailure();
        (dashboard.Title, dashboard.Topic, dashboard.Type, dashboard.Window) = (changed.Title, changed.Topic, changed.Type, changed.Window);
        (dashboard.AverageUpdated, dashboard.Labels, dashboard.LabelTopic, dashboard.Pinned) = (changed.AverageUpdated, changed.Labels, changed.LabelTopic, changed.Pinned);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Ok(DashboardResponse.From(dashboard));
    }

    public async Task<Outcome<Done>> DeleteAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deleted = await db.Dashboards.Where(d => d.Id == id).ExecuteDeleteAsync(cancellationToken);
        return deleted == 0 ? NotFound(id) : Outcome.Ok(Done.Value);
    }

    /// <summary>Dashboard <paramref name="id"/>'s live figures; starts its topic's reader like a viewer does.</summary>
    public async Task<Outcome<DashboardSummary>> SummaryAsync(int id, CancellationToken cancellationToken = default)
    {
        var dashboard = await GetAsync(id, cancellationToken);
        if (dashboard.Value is not { } found) return dashboard.Failure!;
        var (source, settings) = SourceOf(found);
        return Outcome.Ok(hub.Summary(source, settings));
    }

    /// <summary>The reader key and the aggregation of a dashboard.</summary>
    public static (DashboardSource Source, DashboardSettings Settings) SourceOf(DashboardResponse dashboard) =>
        (new DashboardSource(dashboard.Topic, dashboard.LabelTopic), new DashboardSettings(EnumNames.Parse<DashboardType>(dashboard.Type), dashboard.Window, dashboard.AverageUpdated));

    /// <summary>
    /// Inference <paramref name="inferenceId"/>'s own dashboard, made now on its output topic when it has none: a
    /// classification labelled with the classes its result was tested on (the confusion matrix's size; two for a
    /// binary cross-entropy), a regression when it was trained on mse or mae.
    /// </summary>
    public async Task<Outcome<DashboardResponse>> ForInferenceAsync(int inferenceId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Dashboards.AsNoTracking().SingleOrDefaultAsync(d => d.InferenceId == inferenceId, cancellationToken) is { } existing)
            return Outcome.Ok(DashboardResponse.From(existing));
        var inference = await db.Inferences.AsNoTracking()
            .Where(i => i.Id == inferenceId)
            .Select(i => new { i.OutputTopic, Model = i.Result!.Model!.Name, i.Result.ConfusionMatrix, i.Result.Deployment!.Loss })
            .SingleOrDefaultAsync(cancellationToken);
        if (inference is null) return Outcome.NotFound($"Inference {inferenceId} does not exist.");

        var regression = inference.Loss is Loss.Mse or Loss.Mae;
        var classes = inference.ConfusionMatrix?.Length ?? (inference.Loss == Loss.BinaryCrossEntropy ? 2 : 0);
        var dashboard = new Dashboard
        {
            Title = Truncate($"Inference {inferenceId} · {inference.Model}"),
            Topic = inference.OutputTopic,
            Type = regression ? DashboardType.Regression : DashboardType.Classification,
            Window = DashboardRules.DefaultWindow,
            Labels = regression ? [] : DashboardPalette.Numbered(classes),
            InferenceId = inferenceId,
            Created = clock.GetUtcNow(),
        };
        db.Dashboards.Add(dashboard);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            // Another viewer made it first: theirs is the one.
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            return Outcome.Ok(DashboardResponse.From(await again.Dashboards.AsNoTracking().SingleAsync(d => d.InferenceId == inferenceId, cancellationToken)));
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            return Outcome.NotFound($"Inference {inferenceId} was deleted meanwhile.");
        }
        return Outcome.Ok(DashboardResponse.From(dashboard));
    }

    private static string Truncate(string title) => title.Length <= Dashboard.TitleMaxLength ? title : title[..Dashboard.TitleMaxLength];

    private static Failure NotFound(int id) => Outcome.NotFound($"Dashboard {id} does not exist.");
}
