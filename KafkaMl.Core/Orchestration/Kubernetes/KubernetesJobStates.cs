using System.Globalization;
using k8s.Models;

namespace KafkaMl.Core.Orchestration.Kubernetes;

/// <summary>How Job, Deployment and pod status read as a <see cref="JobState"/>.</summary>
public static class KubernetesJobStates
{
    /// <summary>
    /// A training Job: <c>Complete</c> or <c>succeeded &gt; 0</c> is Succeeded; <c>Failed</c> or <c>failed &gt; 0</c> is
    /// Failed (it has <c>backoffLimit: 0</c>, so one failed pod is final) with the condition's reason and message and, when
    /// known, the container's exit code and last log lines; an active pod that is ready is Running; anything else Pending.
    /// </summary>
    public static JobState FromJob(V1Job job, IReadOnlyList<V1Pod> pods)
    {
        var status = job.Status ?? new V1JobStatus();
        var conditions = status.Conditions ?? [];
        if (IsTrue(conditions, "Complete") || status.Succeeded > 0)
            return new JobState(JobPhase.Succeeded, ExitCode: 0);

        var failed = conditions.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True");
        if (failed is not null || status.Failed > 0)
        {
            var terminated = Terminated(pods);
            var parts = new List<string>();
            if (failed is not null) parts.Add(Join(failed.Reason, failed.Message));
            if (terminated is not null) parts.Add(Describe(terminated));
            var reason = parts.Count == 0 ? "the job's pod failed" : string.Join("; ", parts.Where(p => p.Length > 0));
            return new JobState(JobPhase.Failed, reason, ExitCode: terminated?.ExitCode);
        }

        if (status.Active > 0 && (status.Ready is null || status.Ready > 0))
            return new JobState(JobPhase.Running, ReadyReplicas: 1);
        return new JobState(JobPhase.Pending, Waiting(pods) ?? "waiting for its pod to start");
    }

    /// <summary>
    /// An inference Deployment: Running while at least one replica is ready (<c>readyReplicas</c>), otherwise Pending
    /// with what keeps its pods from running (<c>CrashLoopBackOff</c>, <c>ImagePullBackOff</c>, ...), or Failed once the
    /// Deployment exceeded its progress deadline without any ready replica.
    /// </summary>
    public static JobState FromDeployment(V1Deployment deployment, IReadOnlyList<V1Pod> pods)
    {
        var desired = deployment.Spec?.Replicas ?? 1;
        var ready = deployment.Status?.ReadyReplicas ?? 0;
        var conditions = deployment.Status?.Conditions ?? [];
        var problem = Waiting(pods) ?? LastTermination(pods)
            ?? conditions.Where(c => c.Type == "ReplicaFailure" && c.Status == "True").Select(c => Join(c.Reason, c.Message)).FirstOrDefault();
        if (ready > 0)
            return new JobState(JobPhase.Running, ready < desired ? problem : null, ready);
        if (desired == 0)
            return new JobState(JobPhase.Pending, "scaled to zero replicas");
        var stalled = conditions.FirstOrDefault(c => c.Type == "Progressing" && c.Status == "False" && c.Reason == "ProgressDeadlineExceeded");
        if (stalled is not null)
            return new JobState(JobPhase.Failed, string.Join("; ", new[] { Join(stalled.Reason, stalled.Message), problem }.Where(p => !string.IsNullOrEmpty(p))));
        return new JobState(JobPhase.Pending, problem ?? "waiting for its pods to start");
    }

    /// <summary>Whether reading the workload's pods can add to its state (only when something is not right).</summary>
    public static bool NeedsPods(V1Job job) =>
        !(job.Status?.Succeeded > 0) && !(job.Status?.Active > 0 && (job.Status.Ready is null || job.Status.Ready > 0));

    public static bool NeedsPods(V1Deployment deployment) =>
        (deployment.Status?.ReadyReplicas ?? 0) < (deployment.Spec?.Replicas ?? 1);

    private static bool IsTrue(IEnumerable<V1JobCondition> conditions, string type) =>
        conditions.Any(c => c.Type == type && c.Status == "True");

    private static V1ContainerStateTerminated? Terminated(IEnumerable<V1Pod> pods) =>
        Containers(pods).Select(s => s.State?.Terminated).LastOrDefault(t => t is not null && t.ExitCode != 0);

    /// <summary>"CrashLoopBackOff: back-off 10s restarting failed container" of the first container that waits for a reason.</summary>
    private static string? Waiting(IEnumerable<V1Pod> pods)
    {
        var pending = pods.FirstOrDefault(p => p.Status?.Conditions?.Any(c => c.Type == "PodScheduled" && c.Status == "False") == true);
        if (pending is not null)
        {
            var unscheduled = pending.Status.Conditions.First(c => c.Type == "PodScheduled");
            return Join(unscheduled.Reason ?? "Unschedulable", unscheduled.Message);
        }
        var waiting = Containers(pods).Select(s => s.State?.Waiting)
            .FirstOrDefault(w => w is not null && w.Reason is not (null or "ContainerCreating" or "PodInitializing"));
        if (waiting is null) return null;
        var last = Containers(pods).Select(s => s.LastState?.Terminated).FirstOrDefault(t => t is not null);
        var text = Join(waiting.Reason, waiting.Message);
        return last is null ? text : $"{text}; last run: {Describe(last)}";
    }

    private static string? LastTermination(IEnumerable<V1Pod> pods) =>
        Containers(pods).Select(s => s.LastState?.Terminated).Where(t => t is not null).Select(t => Describe(t!)).FirstOrDefault();

    private static IEnumerable<V1ContainerStatus> Containers(IEnumerable<V1Pod> pods) =>
        pods.OrderBy(p => p.Metadata?.CreationTimestamp ?? DateTime.MinValue)
            .SelectMany(p => p.Status?.ContainerStatuses ?? []);

    /// <summary>"exit code 1 (Error): last log lines" — the termination message holds the log tail (<c>FallbackToLogsOnError</c>).</summary>
    private static string Describe(V1ContainerStateTerminated terminated)
    {
        var text = $"exit code {terminated.ExitCode.ToString(CultureInfo.InvariantCulture)}";
        if (!string.IsNullOrEmpty(terminated.Reason)) text += $" ({terminated.Reason})";
        var message = terminated.Message?.Trim();
        if (!string.IsNullOrEmpty(message))
        {
            var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            text += ": " + string.Join(" | ", lines.TakeLast(5));
        }
        return text;
    }

    private static string Join(string? reason, string? message) =>
        (reason, message) switch
        {
            ({ Length: > 0 }, { Length: > 0 }) => $"{reason}: {message}",
            ({ Length: > 0 }, _) => reason!,
            (_, { Length: > 0 }) => message!,
            _ => "",
        };
}
