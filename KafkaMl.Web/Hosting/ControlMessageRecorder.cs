using System.Globalization;
using KafkaMl.Core.Control;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using KafkaMl.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Hosting;

/// <summary>A record read off the control topic: where it was, when it was written, its key and value.</summary>
public sealed record ControlRecord(string Topic, int Partition, long Offset, DateTimeOffset? Timestamp, byte[]? Key, byte[]? Value)
{
    /// <summary><c>topic:partition:offset</c>, as stored in <see cref="Datasource.ControlPosition"/>.</summary>
    public string Position => string.Create(CultureInfo.InvariantCulture, $"{Topic}:{Partition}:{Offset}");
}

/// <summary>
/// Turns control records into <see cref="Datasource"/> rows: <see cref="Decode"/> reads and validates
/// (pure, never throws), <see cref="StoreAsync"/> saves idempotently. A record is identified by its
/// position and timestamp, so one delivered again (after a crash before its offset was committed, or to
/// a new consumer group) finds its row and is not stored twice, while a new message at the same offset
/// of a recreated topic (the embedded broker starts empty) is stored.
/// </summary>
public sealed class ControlMessageRecorder(IDbContextFactory<KafkaMlDbContext> contexts, TimeProvider time)
{
    /// <summary>The datasource the record describes, or why it is not a usable control message.</summary>
    public ControlDecodeResult Decode(ControlRecord record)
    {
        try
        {
            if (!ControlMessage.TryRead(record.Key, record.Value, out var received, out var problem))
                return ControlDecodeResult.Rejected(problem!);
            if (received.DeploymentId > int.MaxValue)
                return ControlDecodeResult.Rejected($"The deployment id {received.DeploymentId} in the key is larger than any deployment id ({int.MaxValue}).");

            var message = received.Message;
            return ControlDecodeResult.Accepted(new Datasource
            {
                DeploymentId = (int)received.DeploymentId,
                Topic = message.Topic,
                InputFormat = DataFormats.Normalize(message.InputFormat),
                InputConfig = message.InputConfig.ToString(),
                Description = message.Description,
                ValidationRate = message.ValidationRate,
                TestRate = message.TestRate,
                TotalMsg = message.TotalMsg ?? 0,
                Time = record.Timestamp ?? time.GetUtcNow(),
                ControlPosition = record.Position,
            });
        }
        catch (Exception e)
        {
            // Anything the parser did not anticipate is still the message's fault, not a reason to stop.
            return ControlDecodeResult.Rejected($"The control message could not be read: {e.Message}");
        }
    }

    /// <summary>
    /// Saves <paramref name="datasource"/> unless the control message it came from is already stored; returns
    /// the row and whether it is new. Database failures propagate (the caller retries; nothing was committed).
    /// </summary>
    public async Task<(Datasource Datasource, bool Created)> StoreAsync(Datasource datasource, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await FindAsync(db, datasource, cancellationToken) is { } existing) return (existing, false);

        db.Datasources.Add(datasource);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return (datasource, true);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // Another logger (a second portal replica during a rebalance) stored it first.
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            var stored = await FindAsync(again, datasource, cancellationToken);
            if (stored is null) throw;
            return (stored, false);
        }
    }

    private static Task<Datasource?> FindAsync(KafkaMlDbContext db, Datasource datasource, CancellationToken cancellationToken) =>
        datasource.ControlPosition is null
            ? Task.FromResult<Datasource?>(null)
            : db.Datasources.AsNoTracking()
                .Where(d => d.ControlPosition == datasource.ControlPosition && d.Time == datasource.Time)
                .FirstOrDefaultAsync(cancellationToken);
}

/// <summary>A decoded control record: the datasource to store, or the rejection reason.</summary>
public readonly record struct ControlDecodeResult(Datasource? Datasource, string? Problem)
{
    public static ControlDecodeResult Accepted(Datasource datasource) => new(datasource, null);

    public static ControlDecodeResult Rejected(string problem) => new(null, problem);
}
