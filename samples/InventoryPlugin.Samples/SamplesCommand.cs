namespace InventoryPlugin.Samples;

/// <summary>The samples tool's commands: keygen, sign, replay, token.</summary>
public static class SamplesCommand
{
    public const string Usage = """
        inventory-samples: sign and replay recorded platform requests against InventoryPlugin.

          keygen                                  make (or show) the development keys under data/dev-keys
          sign FILE                               print the signed JWT for a platform sample
          replay FILE|DIR --url URL [--tenant ID] [--no-seed]
                                                  seed the manifest's stock (unless --no-seed), send the
                                                  samples (platform calls signed as the platform would,
                                                  merchant calls with a token), compare with the manifest
          token --instance ID [--scope SCOPES]    print a merchant API token (default scope: inventory:read inventory:write)

        Options: --root DIR  the folder whose data/dev-keys holds the keys (default: the repository root).
        Exit code: 0 all as expected, 1 an outcome differed, 2 usage error.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var (positional, options) = Parse(args);
        if (positional.Count == 0 || options.ContainsKey("help"))
        {
            output.WriteLine(Usage);
            return positional.Count == 0 ? 2 : 0;
        }

        var root = options.GetValueOrDefault("root") ?? DevelopmentCredentials.FindRoot();
        var credentials = DevelopmentCredentials.LoadOrCreate(root);
        var signer = new SampleSigner(credentials);
        switch (positional[0])
        {
            case "keygen":
                output.WriteLine($"Development keys in {Path.Combine(root, Hosting.DevelopmentKeys.Folder)} (app id {credentials.AppId}).");
                return 0;
            case "sign" when positional.Count == 2:
                var sample = Sample.Load(positional[1]);
                if (sample.IsMerchant)
                {
                    error.WriteLine($"{positional[1]} is a merchant API call: it is sent with a merchant token (see token), not signed.");
                    return 2;
                }

                output.WriteLine(signer.SignPlatform(sample.Data, sample.Token));
                return 0;
            case "token" when options.TryGetValue("instance", out var instance):
                output.WriteLine(signer.MerchantToken(instance, options.GetValueOrDefault("scope") ?? "inventory:read inventory:write"));
                return 0;
            case "replay" when positional.Count == 2 && options.TryGetValue("url", out var url):
                return await ReplayAsync(positional[1], url, options.GetValueOrDefault("tenant"), !options.ContainsKey("no-seed"), signer, output, error);
            default:
                error.WriteLine(Usage);
                return 2;
        }
    }

    private static async Task<int> ReplayAsync(string target, string url, string? tenant, bool seed, SampleSigner signer, TextWriter output, TextWriter error)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/") };
        var replayer = new Replayer(http, signer);
        IReadOnlyList<StepResult> results;
        if (Directory.Exists(target))
        {
            results = await replayer.ReplayAsync(target, tenant, log: output, seed: seed);
        }
        else
        {
            // One file: seed as its folder's manifest says, send it, and compare with its first step there.
            var folder = FindManifestFolder(target);
            var manifest = Manifest.Load(folder);
            var relative = Path.GetRelativePath(folder, target).Replace('\\', '/');
            var step = manifest.Steps.FirstOrDefault(s => s.Sample == relative)
                ?? throw new InvalidOperationException($"{relative} is not in {folder}/{Manifest.FileName}.");
            var sample = Sample.Load(target);
            if (sample.Placeholders.Count > 0)
            {
                error.WriteLine($"{relative} needs {string.Join(", ", sample.Placeholders.Select(p => "{{" + p + "}}"))} from an earlier step: replay the folder.");
                return 2;
            }

            if (seed)
            {
                await replayer.SeedAsync(folder, manifest, tenant ?? manifest.InstanceId);
            }

            var (status, body) = await replayer.SendAsync(sample, tenant ?? manifest.InstanceId);
            var result = new StepResult(step, status, body);
            output.WriteLine(Replayer.Describe(result, maxBody: null));
            results = [result];
        }

        var failed = results.Count(r => !r.Passed);
        output.WriteLine($"{results.Count - failed} as expected, {failed} differed");
        return failed == 0 ? 0 : 1;
    }

    private static string FindManifestFolder(string file)
    {
        for (var dir = new FileInfo(file).Directory; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, Manifest.FileName)))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No {Manifest.FileName} above {file}.");
    }

    private static (List<string> Positional, Dictionary<string, string> Options) Parse(string[] args)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                var name = args[i][2..];
                var takesValue = name is not ("no-seed" or "help");
                options[name] = takesValue && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
            }
            else
            {
                positional.Add(args[i]);
            }
        }

        return (positional, options);
    }
}
