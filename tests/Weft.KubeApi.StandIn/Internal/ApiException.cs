using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>A request that fails with a <c>kind: Status</c> body, as the real API server's <c>StatusError</c>.</summary>
internal sealed class ApiException : Exception
{
    public ApiException(int code, string reason, string message, JsonObject? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public int Code { get; }

    public string Reason { get; }

    public JsonObject? Details { get; }

    public JsonObject ToStatus() => StatusObjects.Failure(Code, Reason, Message, Details?.DeepClone().AsObject());

    private static JsonObject ResourceDetails(ResourceType type, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        return details;
    }

    public static ApiException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.GroupResource} \"{name}\" not found", ResourceDetails(type, name));

    public static ApiException PathNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource", []);

    public static ApiException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.GroupResource} \"{name}\" already exists", ResourceDetails(type, name));

    public static ApiException Conflict(ResourceType type, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type.GroupResource} \"{name}\": {why}", ResourceDetails(type, name));

    public static ApiException Modified(ResourceType type, string name) =>
        Conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");

    /// <summary>422 Invalid: the message and details name the Kind, not the resource, as <c>errors.NewInvalid</c> does.</summary>
    public static ApiException Invalid(ResourceType type, string name, string field, string causeReason, string detail)
    {
        var message = $"{field}: {detail}";
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Kind;
        details["causes"] = new JsonArray(new JsonObject { ["reason"] = causeReason, ["message"] = detail, ["field"] = field });
        var qualifiedKind = type.Group.Length == 0 ? type.Kind : type.Kind + "." + type.Group;
        return new ApiException(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {message}", details);
    }

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    /// <summary>500 as <c>apierrors.NewInternalError</c>: "Internal error occurred: ..." with the error as the one cause.</summary>
    public static ApiException InternalError(string error) =>
        new(500, "InternalError", "Internal error occurred: " + error, new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = error }) });

    public static ApiException Expired(string message) => new(410, "Expired", message);

    /// <summary>405 as the custom resource handler answers a create while the resource's CRD is Terminating (apierrors.NewMethodNotSupported, its message replaced).</summary>
    public static ApiException CreateWhileTerminating(ResourceType type) =>
        new(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating", new JsonObject { ["group"] = type.Group, ["kind"] = type.Plural });

    public static ApiException MethodNotAllowed() =>
        new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", []);

    public static ApiException UnsupportedMediaType(string accepted) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: {accepted}");

    public static ApiException NotAcceptable() =>
        new(406, "NotAcceptable", "only the following media types are accepted: application/json");

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static ApiException TooLargeResourceVersion(long requested, long current) =>
        new(504, "Timeout", $"Too large resource version: {requested}, current: {current}", new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }),
            ["retryAfterSeconds"] = 1,
        });
}
