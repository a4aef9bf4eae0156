using System.Security.Claims;
using KafkaMl.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>Users and API tokens, for admins (the same operations as the Users and API tokens pages).</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin").WithTags("Administration").WithProblemJson()
            .RequireAuthorization(KafkaMlPolicies.Admin);

        api.MapGet("/users", ListUsers).WithName("ListUsers").WithSummary("List user accounts");
        api.MapPost("/users", CreateUser).WithName("CreateUser").WithSummary("Create a user account with a role (viewer, editor, admin) and a password");
        api.MapPut("/users/{id:int}", UpdateUser).WithName("UpdateUser").WithSummary("Change a user's role or disable/enable the account");
        api.MapPost("/users/{id:int}/password", SetPassword).WithName("SetUserPassword").WithSummary("Set a new password (ends the user's sessions)");
        api.MapGet("/tokens", ListTokens).WithName("ListApiTokens").WithSummary("List API tokens (never the tokens themselves)");
        api.MapPost("/tokens", CreateToken).WithName("CreateApiToken")
            .WithSummary("Create an API token acting with its owner's role")
            .WithDescription("The answer carries the token; it is shown only here and stored only as a hash. The owner defaults to the caller.");
        api.MapDelete("/tokens/{id:int}", RevokeToken).WithName("RevokeApiToken").WithSummary("Revoke an API token");
        return api;
    }

    public static async Task<Ok<IReadOnlyList<UserView>>> ListUsers([FromServices] AccountService accounts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.ListUsersAsync(cancellationToken));

    public static async Task<Results<Created<UserView>, ValidationProblem>> CreateUser(
        CreateUserRequest request, [FromServices] AccountService accounts, CancellationToken cancellationToken)
    {
        var (user, error) = await accounts.CreateUserAsync(request.UserName, request.Role, request.Password, cancellationToken);
        return error is not null ? Problems.Validation(error.Field, error.Message) : TypedResults.Created($"/api/admin/users/{user!.Id}", user);
    }

    public static async Task<Results<Ok<UserView>, NotFound<ProblemDetails>, ValidationProblem>> UpdateUser(
        int id, UpdateUserRequest request, [FromServices] AccountService accounts, CancellationToken cancellationToken)
    {
        var (user, error) = await accounts.UpdateUserAsync(id, request.Role, request.Disabled, cancellationToken);
        if (error is { NotFound: true }) return Problems.NotFound(error.Message);
        return error is not null ? Problems.Validation(error.Field, error.Message) : TypedResults.Ok(user!);
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>, ValidationProblem>> SetPassword(
        int id, SetPasswordRequest request, [FromServices] AccountService accounts, CancellationToken cancellationToken)
    {
        var error = await accounts.SetPasswordAsync(id, request.Password, cancellationToken);
        if (error is { NotFound: true }) return Problems.NotFound(error.Message);
        return error is not null ? Problems.Validation(error.Field, error.Message) : TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<TokenView>>> ListTokens([FromServices] AccountService accounts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.ListTokensAsync(cancellationToken));

    public static async Task<Results<Created<CreatedTokenResponse>, ValidationProblem>> CreateToken(
        CreateTokenRequest request, ClaimsPrincipal caller, [FromServices] AccountService accounts, CancellationToken cancellationToken)
    {
        var (token, secret, error) = await accounts.CreateTokenAsync(request.Owner ?? caller.Identity?.Name, request.Name, cancellationToken);
        return error is not null
            ? Problems.Validation(error.Field, error.Message)
            : TypedResults.Created($"/api/admin/tokens/{token!.Id}", new CreatedTokenResponse(token, secret!));
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>>> RevokeToken(int id, [FromServices] AccountService accounts, CancellationToken cancellationToken) =>
        await accounts.RevokeTokenAsync(id, cancellationToken) ? TypedResults.NoContent() : Problems.NotFound($"API token {id} does not exist.");
}

public sealed record CreateUserRequest(string? UserName, string? Role, string? Password);

/// <summary>Null leaves the value as it is.</summary>
public sealed record UpdateUserRequest(string? Role, bool? Disabled);

public sealed record SetPasswordRequest(string? Password);

/// <summary><see cref="Owner"/> is a user name; empty means the caller.</summary>
public sealed record CreateTokenRequest(string? Name, string? Owner);

/// <summary>The new token's details and, this once, the token itself.</summary>
public sealed record CreatedTokenResponse(TokenView Details, string Token);
