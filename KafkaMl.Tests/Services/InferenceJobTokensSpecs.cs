using KafkaMl.Tests.Apis;
using static KafkaMl.Tests.Support.InferenceTestData;

namespace KafkaMl.Tests.Services;

/// <summary>The inference replicas' endpoints open with their own inference's token only, and that token opens nothing else.</summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class InferenceJobTokensSpecs(OrchestrationPortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();
    private JobTokens Tokens => portal.Services.GetRequiredService<JobTokens>();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null) request.Headers.Add(JobEnvironment.TokenHeader, token);
        return await http.SendAsync(request);
    }

    private async Task<(int ResultId, int InferenceId)> CreateAsync()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        return (resultId, (await http.CreateAsync(ARequest(resultId))).Id);
    }

    [Fact]
    public async Task With_its_token_a_replica_gets_the_spec_and_the_trained_weights()
    {
        var (resultId, inferenceId) = await CreateAsync();
        var token = Tokens.ForInference(inferenceId);

        using var specResponse = await SendAsync(HttpMethod.Get, InferenceJobRoutes.Spec(inferenceId), token);
        var spec = await specResponse.Content.ReadFromJsonAsync<InferenceJobSpec>(Json);
        using var weights = await SendAsync(HttpMethod.Get, InferenceJobRoutes.Weights(inferenceId), token);

        Assert.Equal((inferenceId, resultId, "RAW", "cross_entropy"), (spec!.InferenceId, spec.ResultId, spec.InputFormat, spec.Loss));
        Assert.Equal(InferenceOrchestrator.ConsumerGroup(inferenceId), spec.ConsumerGroup);
        Assert.Equal(3, spec.Scaler!["mean"]!.AsArray().Count);
        Assert.Equal(Weights, await weights.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Without_a_token_the_replica_endpoints_answer_401()
    {
        var (_, inferenceId) = await CreateAsync();

        using var response = await SendAsync(HttpMethod.Get, InferenceJobRoutes.Spec(inferenceId), token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Another_inferences_token_answers_403()
    {
        var (_, first) = await CreateAsync();
        var (_, second) = await CreateAsync();

        using var spec = await SendAsync(HttpMethod.Get, InferenceJobRoutes.Spec(second), Tokens.ForInference(first));
        using var stats = await SendAsync(HttpMethod.Post, InferenceJobRoutes.Stats(second), Tokens.ForInference(first), JsonContent.Create(AStatsReport("0"), options: Json));

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (spec.StatusCode, stats.StatusCode));
    }

    [Fact]
    public async Task The_training_token_of_the_served_result_does_not_open_the_inference()
    {
        var (resultId, inferenceId) = await CreateAsync();

        using var response = await SendAsync(HttpMethod.Get, InferenceJobRoutes.Weights(inferenceId), Tokens.ForTraining(resultId));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task An_inference_token_does_not_open_any_training_results_endpoints()
    {
        var (resultId, inferenceId) = await CreateAsync();

        using var response = await SendAsync(HttpMethod.Get, TrainingJobRoutes.Spec(resultId), Tokens.ForInference(inferenceId));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task An_inference_token_differs_from_the_training_token_of_the_same_number()
    {
        Assert.NotEqual(Tokens.ForTraining(7), Tokens.ForInference(7));
        Assert.False(Tokens.IsValid(JobScope.Inference, 7, Tokens.ForTraining(7)));
        Assert.True(Tokens.IsValid(JobScope.Inference, 7, Tokens.ForInference(7)));
    }
}
