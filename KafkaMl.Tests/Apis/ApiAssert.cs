using Microsoft.AspNetCore.Http.HttpResults;

namespace KafkaMl.Tests.Apis;

internal static class ApiAssert
{
    /// <summary>Asserts a 400 validation problem with at least one message on <paramref name="field"/>; returns them.</summary>
    public static string[] ValidationProblem(IResult result, string field)
    {
        var problem = Assert.IsType<ValidationProblem>(result);
        Assert.Equal(StatusCodes.Status400BadRequest, problem.StatusCode);
        Assert.True(problem.ProblemDetails.Errors.TryGetValue(field, out var messages), $"no error on '{field}'");
        Assert.NotEmpty(messages!);
        return messages!;
    }
}
