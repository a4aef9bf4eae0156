using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace KafkaMl.Web.Auth;

/// <summary>
/// Whether the circuit's signed-in user may write (the <see cref="KafkaMlPolicies.Write"/> policy). Pages already hide
/// write actions from viewers; services that write on a page's behalf ask this too, as a second line of defence.
/// Only for services the pages alone call: an API request has no circuit user (its route group checks the policy).
/// </summary>
public sealed class PortalWriteGuard(AuthenticationStateProvider authentication, IAuthorizationService authorization)
{
    public const string Refusal = "Your role does not allow changes: creating, changing and deploying need the editor role.";

    /// <summary><see cref="Refusal"/> when the user may not write; null when they may.</summary>
    public async Task<string?> RefusalAsync()
    {
        var state = await authentication.GetAuthenticationStateAsync();
        return (await authorization.AuthorizeAsync(state.User, KafkaMlPolicies.Write)).Succeeded ? null : Refusal;
    }
}
