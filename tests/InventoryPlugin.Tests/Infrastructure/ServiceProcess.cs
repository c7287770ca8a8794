using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>
/// The service binary (the test output's InventoryPlugin.dll) as a separate process on a loopback
/// port, configured only through environment variables, so that it can be killed like a real one.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process) => _process = process;

    public Uri Address { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>What the process printed so far (its logs), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The environment a service on <paramref name="directory"/>'s database trusts the given keys with.</summary>
    public static Dictionary<string, string> Environment(string directory, RSA platformKey, byte[] merchantKey) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Wix__AppId"] = PluginInstance.AppId,
        ["Wix__PublicKey"] = platformKey.ExportSubjectPublicKeyInfoPem(),
        ["MerchantAuth__SigningKey"] = Convert.ToBase64String(merchantKey),
        ["MerchantAuth__Issuer"] = PluginInstance.MerchantIssuer,
        ["MerchantAuth__Audience"] = PluginInstance.MerchantAudience,
        ["Storage__ConnectionString"] = $"Data Source={Path.Combine(directory, "inventory.db")}",
        ["Http__Urls"] = "http://127.0.0.1:0",
        ["Serilog__MinimumLevel__Default"] = "Warning",
    };

    /// <summary>Starts the service and waits until it answers <c>/readyz</c>.</summary>
    public static async Task<ServiceProcess> StartAsync(string directory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var service = new ServiceProcess(Start(directory, environment, args));
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        service._process.OutputDataReceived += (_, e) =>
        {
            service.Append(e.Data);
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("The service exited before listening:\n" + service.Output));
            }
            else if (ListeningOn().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Value + "/"));
            }
        };
        service._process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        try
        {
            service.Address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            service.Http = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(30) };
            await service.WaitUntilReadyAsync();
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a one-shot command of the service binary (e.g. <c>verify-ledger</c>) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunCommandAsync(string directory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(directory, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Sends a signed platform request, as the platform does (<c>text/plain</c>).</summary>
    public async Task<(int Status, string Body)> SendPlatformAsync(string path, string token)
    {
        using var content = new StringContent(token, Encoding.ASCII, "text/plain");
        using var response = await Http.PostAsync(path, content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Creates quantity-tracked records at the default location through the merchant API's bulk upsert.</summary>
    public async Task SeedAsync(MerchantTokens tokens, string tenant, IEnumerable<(string Item, long Quantity)> items)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/inventory-items/bulk-upsert")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new System.Text.Json.Nodes.JsonObject
            {
                ["items"] = new System.Text.Json.Nodes.JsonArray(items.Select(i => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                {
                    ["catalogReference"] = new System.Text.Json.Nodes.JsonObject { ["appId"] = Envelopes.StoresAppId, ["catalogItemId"] = i.Item },
                    ["quantity"] = i.Quantity,
                }).ToArray()),
            }),
        };
        request.Headers.Authorization = new("Bearer", tokens.Mint(tenant, "inventory:read inventory:write"));
        using var response = await Http.SendAsync(request);
        Assert.That(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a power cut for the process.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static Process Start(string directory, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            // The content root is the temp folder, so no appsettings.json but the environment configures it.
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "InventoryPlugin.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    private async Task WaitUntilReadyAsync()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                using var response = await Http.GetAsync("readyz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException("The service never became ready:\n" + Output);
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex ListeningOn();
}
