namespace KafkaMl.Core.Jobs.Training;

/// <summary>A reason the training job cannot go on, worded for the user (it becomes the result's error).</summary>
public sealed class TrainingJobException : Exception
{
    public TrainingJobException(string message) : base(message) { }

    public TrainingJobException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Keeps the reports a job did not wait for; the first one that fails (other than by cancellation) is kept as
/// <see cref="Fault"/> and cancels the job.
/// </summary>
internal sealed class ReportTracker(CancellationTokenSource stop)
{
    private readonly List<Task> _pending = [];
    private Exception? _fault;

    public Exception? Fault => Volatile.Read(ref _fault);

    public void Track(Task report)
    {
        lock (_pending)
        {
            _pending.RemoveAll(t => t.IsCompletedSuccessfully);
            _pending.Add(report);
        }
        report.ContinueWith(static (task, state) =>
        {
            var tracker = (ReportTracker)state!;
            if (task.Exception?.GetBaseException() is not { } error || error is OperationCanceledException) return;
            if (Interlocked.CompareExchange(ref tracker._fault, error, null) is not null) return;
            try
            {
                tracker.Stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The job already ended.
            }
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Completes when every tracked report was delivered; throws the first failure.</summary>
    public Task WhenAllAsync()
    {
        Task[] all;
        lock (_pending) all = [.. _pending];
        return Task.WhenAll(all);
    }

    private CancellationTokenSource Stop => stop;
}
