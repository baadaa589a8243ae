using Weft.Api.Model;

namespace Weft.Cli.Local;

/// <summary>A pod as the EndpointSlice controller sees it: the object and whether it is Ready.</summary>
internal sealed record PodStatus(Pod Pod, bool Ready);
