namespace Weft.ControlPlane.Identity;

/// <summary>
/// Decides whether a bearer credential that is not the control plane's own admin credential may do an
/// <see cref="AdminRequest"/>: in a cluster, the API server says who the caller is (TokenReview) and whether RBAC lets
/// them (SubjectAccessReview); <see cref="Kubernetes.KubeAdminReviewer"/>. The local mode has none: only its admin
/// credential is an admin.
/// </summary>
public interface IAdminReviewer
{
    /// <summary>The decision, whose reason is said to the caller (so it names no secret).</summary>
    ValueTask<AdminReview> ReviewAsync(string credential, AdminRequest request, CancellationToken ct);
}

/// <summary>How an admin review ended.</summary>
public enum AdminVerdict
{
    /// <summary>The caller is known and may.</summary>
    Allowed,

    /// <summary>The credential proves no one (or the review could not be made).</summary>
    Unauthenticated,

    /// <summary>The caller is known and may not.</summary>
    Denied,
}

/// <summary>A reviewer's answer: the verdict, who the caller is (when known), and why.</summary>
public readonly record struct AdminReview(AdminVerdict Verdict, string? User, string Reason)
{
    public static AdminReview Allow(string user) => new(AdminVerdict.Allowed, user, "");

    public static AdminReview Unauthenticated(string reason) => new(AdminVerdict.Unauthenticated, null, reason);

    public static AdminReview Deny(string user, string reason) => new(AdminVerdict.Denied, user, reason);
}
