using System.Text.RegularExpressions;
using Weft.Api.Model;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

public sealed class PodNamesTests
{
    private static Deployment NewDeployment(params string[] args) => new()
    {
        ApiVersion = "apps/v1",
        Metadata = new ObjectMeta { Name = "echo-v1", Namespace = "ns" },
        Template = new PodTemplate
        {
            Labels = new Dictionary<string, string> { ["app"] = "echo", ["version"] = "v1" },
            Spec = new PodSpec { Containers = [new Container { Name = "echo", Image = "registry.k8s.io/gateway-api/echo-advanced:v1.5.1", Args = args }] },
        },
    };

    [Fact]
    public void Pod_names_look_like_Kubernetes_ones()
    {
        var hash = PodNames.TemplateHash(NewDeployment("--port=8080"));
        var name = PodNames.NewPodName("echo-v1", hash);

        Assert.Matches(new Regex("^echo-v1-[0-9a-f]{10}-[a-z0-9]{5}$"), name);
    }

    [Fact]
    public void The_template_hash_is_stable_and_follows_the_template()
    {
        Assert.Equal(PodNames.TemplateHash(NewDeployment("--port=8080")), PodNames.TemplateHash(NewDeployment("--port=8080")));
        Assert.NotEqual(PodNames.TemplateHash(NewDeployment("--port=8080")), PodNames.TemplateHash(NewDeployment("--port=9090")));
    }

    [Fact]
    public void The_template_hash_follows_the_template_s_annotations_so_an_edited_weft_setting_rolls_the_pods()
    {
        static Deployment Annotated(params (string Key, string Value)[] annotations)
        {
            var deployment = NewDeployment("--port=8080");
            return deployment with { Template = deployment.Template with { Annotations = annotations.ToDictionary(a => a.Key, a => a.Value) } };
        }

        var plain = PodNames.TemplateHash(NewDeployment("--port=8080"));
        Assert.Equal(plain, PodNames.TemplateHash(Annotated())); // no annotations: the names pods had before
        Assert.NotEqual(plain, PodNames.TemplateHash(Annotated(("weft.dev/mesh", "l4"))));
        Assert.NotEqual(PodNames.TemplateHash(Annotated(("weft.dev/mesh", "l4"))), PodNames.TemplateHash(Annotated(("weft.dev/mesh", "l7"))));
        Assert.Equal(
            PodNames.TemplateHash(Annotated(("weft.dev/mesh", "l4"), ("weft.dev/mtls", "permissive"))),
            PodNames.TemplateHash(Annotated(("weft.dev/mtls", "permissive"), ("weft.dev/mesh", "l4")))); // in any order
    }

    [Fact]
    public void The_template_hash_follows_the_termination_grace_period_so_an_edited_one_rolls_the_pods()
    {
        static Deployment WithGrace(long? grace)
        {
            var deployment = NewDeployment("--port=8080");
            return deployment with { Template = deployment.Template with { Spec = deployment.Template.Spec with { TerminationGracePeriodSeconds = grace } } };
        }

        Assert.NotEqual(PodNames.TemplateHash(WithGrace(5)), PodNames.TemplateHash(WithGrace(60)));
        Assert.NotEqual(PodNames.TemplateHash(WithGrace(null)), PodNames.TemplateHash(WithGrace(5)));
        Assert.Equal(PodNames.TemplateHash(NewDeployment("--port=8080")), PodNames.TemplateHash(WithGrace(null))); // unset: the hash it had
    }

    [Fact]
    public void Pod_names_of_one_template_differ()
    {
        var hash = PodNames.TemplateHash(NewDeployment());
        var names = Enumerable.Range(0, 50).Select(_ => PodNames.NewPodName("echo-v1", hash)).ToHashSet();

        Assert.True(names.Count > 45);
    }
}
