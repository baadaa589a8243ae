using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// What admission is asked about: the operation (<c>CREATE</c>, <c>UPDATE</c>), the resource request, the object as it
/// will be stored (and the stored one, on update), who asks, and the operation's options (<c>CreateOptions</c>, ...).
/// </summary>
internal sealed record AdmissionAttributes(
    string Operation,
    ResourceRequest Request,
    JsonObject? Object,
    JsonObject? OldObject,
    JsonObject UserInfo,
    JsonObject Options);
