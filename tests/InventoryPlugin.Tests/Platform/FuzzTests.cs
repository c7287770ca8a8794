using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using InventoryPlugin.Platform;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using InventoryPlugin.Storage.Sqlite;

namespace InventoryPlugin.Tests.Platform;

/// <summary>
/// Issue 5: more than ten thousand validly signed but mutated envelopes, and malformed bodies besides.
/// Whatever arrives, the answer is never a 5xx, every error has the contract's body (part 1.4), and the
/// store changes only on a 200. Deterministic: the seed is printed, and <c>FUZZ_SEED</c> replays another.
/// </summary>
public sealed class FuzzTests
{
    private const int DefaultSeed = 5_0004;
    private const int Cases = 12_000;
    private const int MalformedEvery = 10;
    private const int UnmutatedPercent = 3;
    private const int BatchSize = 2_000;
    private const int Parallelism = 6;
    private const string LocationA = "0b6f4b9e-3c1a-4f5e-9d2a-7a1c2e3f4a5b";
    private const string LocationB = "a8d7c6b5-4e3f-4a1b-8c9d-0e1f2a3b4c5d";

    private static readonly string[] Skus = ["sku-0", "sku-1", "sku-2", "sku-3", "sku-4", "sku-5", "sku-6", "sku-7"];
    private static readonly string[] SpecialSkus = ["sold-out", "preorder", "in-stock", "out-of-stock"];
    private static readonly string[] Reasons = ["ORDER_PLACED", "ORDER_PAID", "ORDER_CANCELED", "ORDER_REFUNDED", "ORDER_EDITED", "ORDER_REJECTED", "ORDER_TELEPORTED"];
    private static readonly string[] RefusalCauses = ["INSUFFICIENT_STOCK", "OUT_OF_STOCK", "UNKNOWN_ITEM"];
    private static readonly string?[] ContentTypes = ["text/plain", "plain/text", "application/json", null, "application/octet-stream"];

    private PluginInstance _plugin = null!;

    private enum Family
    {
        Unmutated,
        TypeChange,
        MissingField,
        ExtraField,
        Numbers,
        Strings,
        DeepNesting,
        DuplicateKeys,
        ItemCount,
        GarbageData,
        Claims,
        BrokenJson,
        NotAJwt,
        TruncatedJwt,
        BadBase64,
        TamperedToken,
        HugeBody,
        EmptyBody,
        BinaryBytes,
    }

    [OneTimeSetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    [Test]
    public async Task Mutated_envelopes_and_malformed_bodies_never_get_a_5xx_and_only_a_200_changes_the_store()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var chosen) ? chosen : DefaultSeed;
        await TestContext.Out.WriteLineAsync($"Fuzz seed {seed} (set FUZZ_SEED to run another)");
        var random = new Random(seed);
        var tenants = Enumerable.Range(0, 3).Select(_ => NewGuid(random)).ToList();
        var seeded = await SeedAsync(tenants);
        var fuzzer = new Fuzzer(random, tenants);
        var outcomes = new List<Outcome>(Cases);
        var clock = Stopwatch.StartNew();
        try
        {
            for (var start = 0; start < Cases; start += BatchSize)
            {
                var batch = Enumerable.Range(start, Math.Min(BatchSize, Cases - start))
                    .Select(n => n % MalformedEvery == MalformedEvery - 1 ? fuzzer.Malformed(n) : fuzzer.Signed(n, _plugin.Tokens))
                    .ToList();
                var answers = new Outcome[batch.Count];
                await Parallel.ForEachAsync(Enumerable.Range(0, batch.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism },
                    async (i, _) => answers[i] = await SendAsync(batch[i]));
                outcomes.AddRange(answers);

                // Checked per batch, so that a failure points at the few thousand requests that caused it.
                var answerProblems = outcomes.Skip(start).SelectMany(AnswerProblems).ToList();
                var storeProblems = StoreProblems(outcomes, seeded);
                Assert.Multiple(() =>
                {
                    Assert.That(answerProblems, Is.Empty, $"answers of requests {start}..{start + batch.Count - 1} (seed {seed})");
                    Assert.That(storeProblems, Is.Empty, $"the store after request {start + batch.Count - 1} (seed {seed})");
                });
            }
        }
        finally
        {
            await ReportAsync(outcomes, clock.Elapsed);
        }

        var mutations = outcomes.SelectMany(o => o.Case.Mutations).ToList();
        var hits = mutations.GroupBy(m => m.Family).ToDictionary(g => g.Key, g => g.Count());
        var kindHits = mutations.GroupBy(m => (m.Family, m.Kind)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Multiple(() =>
        {
            Assert.That(outcomes.Count(o => o.Case.Signed && o.Case.Mutations.All(m => m.Family != Family.Unmutated)), Is.GreaterThanOrEqualTo(10_000), "validly signed, mutated envelopes");
            foreach (var family in Enum.GetValues<Family>())
            {
                Assert.That(hits.GetValueOrDefault(family), Is.GreaterThanOrEqualTo(MinimumHits(family)), $"mutations of family {family}");
            }

            foreach (var (family, kinds) in Fuzzer.Kinds())
            {
                foreach (var kind in kinds)
                {
                    Assert.That(kindHits.GetValueOrDefault((family, kind)), Is.GreaterThanOrEqualTo(3), $"{family}: {kind}");
                }
            }

            foreach (var family in new[] { Family.TypeChange, Family.MissingField })
            {
                var paths = mutations.Where(m => m.Family == family).Select(m => m.Path).ToHashSet();
                Assert.That(paths, Is.SupersetOf(Fuzzer.ReferencePaths(propertiesOnly: family == Family.MissingField)), $"{family} reached every field of the envelope");
            }

            Assert.That(outcomes.Count(o => o.Status == 200), Is.GreaterThanOrEqualTo(500), "some mutations keep the envelope valid, and are applied");
            Assert.That(outcomes.Count(o => o.Status == 428), Is.GreaterThanOrEqualTo(50), "some restricted decrements are refused");
            Assert.That(_plugin.Logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message + " " + e.Exception?.GetType().Name), Is.Empty, "errors logged by the service");
        });
    }

    private static int MinimumHits(Family family) => family switch
    {
        Family.Unmutated => 100,
        Family.HugeBody or Family.EmptyBody => 20,
        >= Family.NotAJwt => 50,
        Family.GarbageData or Family.BrokenJson or Family.ItemCount => 100,
        _ => 500,
    };

    private async Task<HashSet<string>> SeedAsync(List<string> tenants)
    {
        var keys = new List<StockKey>();
        foreach (var tenant in tenants)
        {
            for (var i = 0; i < Skus.Length; i++)
            {
                keys.Add(await _plugin.SeedAsync(tenant, Skus[i], 2_000 + (100 * i)));
            }

            keys.Add(await _plugin.SeedAsync(tenant, "sku-0", 300, variantKey: "v-1"));
            keys.Add(await _plugin.SeedAsync(tenant, "sku-3", 300, variantKey: "Color=Red;Size=M"));
            keys.Add(await _plugin.SeedAsync(tenant, "sku-1", 200, locationId: LocationA));
            keys.Add(await _plugin.SeedAsync(tenant, "sold-out", 0));
            keys.Add(await _plugin.SeedAsync(tenant, "preorder", 0, preorder: true, preorderLimit: 50));
            keys.Add(await _plugin.SeedAsync(tenant, "in-stock", 0, trackQuantity: false, inStock: true));
            keys.Add(await _plugin.SeedAsync(tenant, "out-of-stock", 0, trackQuantity: false, inStock: false));
        }

        return keys.Select(k => _plugin.Record(k)!.Id).ToHashSet();
    }

    private async Task<Outcome> SendAsync(FuzzCase fuzzCase)
    {
        var body = fuzzCase.Body(_plugin.Tokens);
        using var content = new ByteArrayContent(body);
        // Whatever the content type says, the body is read as a token (contract 1.1).
        if (ContentTypes[fuzzCase.Number % ContentTypes.Length] is { } contentType)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        // Built by hand: Uri would read a path starting with "//" as a host name.
        using var request = new HttpRequestMessage(HttpMethod.Post, _plugin.Http.BaseAddress!.GetLeftPart(UriPartial.Authority) + fuzzCase.Path) { Content = content };
        if (fuzzCase.Chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        try
        {
            using var response = await _plugin.Http.SendAsync(request);
            return new Outcome(fuzzCase, body.Length, (int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType, null);
        }
        catch (HttpRequestException exception)
        {
            return new Outcome(fuzzCase, body.Length, 0, "", null, exception.Message);
        }
    }

    /// <summary>Oracle 1: never a 5xx; only the statuses the contract names; every answer in its contract shape.</summary>
    private static IEnumerable<string> AnswerProblems(Outcome outcome)
    {
        var c = outcome.Case;
        var shown = $"{outcome.Status} {(outcome.Body.Length > 300 ? outcome.Body[..300] + "…" : outcome.Body)}";
        string Describe(string problem) => $"#{c.Number} {c.Path} [{string.Join("; ", c.Mutations)}] {shown}: {problem}";

        if (outcome.TransportError is not null)
        {
            yield return Describe($"no answer: {outcome.TransportError}");
            yield break;
        }

        if (outcome.Status >= 500)
        {
            yield return Describe("a server error");
            yield break;
        }

        var expected = outcome.BodyBytes > PlatformVerificationFilter.MaxBodyBytes ? [413] : c.ExpectedStatuses;
        if (!expected.Contains(outcome.Status))
        {
            yield return Describe($"expected one of {string.Join(", ", expected)}");
        }

        if (BodyProblem(outcome) is { } problem)
        {
            yield return Describe(problem);
        }
    }

    private static string? BodyProblem(Outcome outcome)
    {
        if (outcome.ContentType != "application/json")
        {
            return $"content type {outcome.ContentType ?? "(none)"}, not application/json";
        }

        JsonNode? json;
        try
        {
            json = JsonNode.Parse(outcome.Body);
        }
        catch (JsonException)
        {
            return "the body is not JSON";
        }

        if (outcome.Status == 200)
        {
            return json is JsonObject { Count: 0 } ? null : "a 200 body is not {}";
        }

        if (json?["applicationError"] is not JsonObject error)
        {
            return "no applicationError object";
        }

        if (!IsText(error["description"]))
        {
            return "applicationError.description is not a non-empty string";
        }

        var expectedCode = outcome.Status switch
        {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            409 => "REQUEST_ID_REUSED",
            413 => "PAYLOAD_TOO_LARGE",
            428 => outcome.Case.Path.EndsWith("decrement", StringComparison.Ordinal) ? "DECREMENT_NOT_POSSIBLE" : "INCREMENT_NOT_POSSIBLE",
            _ => null,
        };
        if (!IsText(error["code"]) || error["code"]!.GetValue<string>() != expectedCode)
        {
            return $"applicationError.code is not {expectedCode}";
        }

        if (outcome.Status == 401 && error["description"]!.GetValue<string>().Length > 200)
        {
            return "a 401 description that long may echo the token";
        }

        if (outcome.Status == 400
            && (error["data"]?["fieldViolations"] is not JsonArray { Count: > 0 } violations
                || !violations.All(v => IsText(v?["field"]) && IsText(v?["description"]))))
        {
            return "no list of field violations, each with field and description";
        }

        if (outcome.Status == 428 && expectedCode == "DECREMENT_NOT_POSSIBLE"
            && (error["data"]?["items"] is not JsonArray { Count: > 0 } items
                || !items.All(i => i?["catalogReference"] is JsonObject && IsText(i["locationId"])
                    && i["requestedQuantity"]?.GetValueKind() == JsonValueKind.Number && i["availableQuantity"]?.GetValueKind() == JsonValueKind.Number
                    && IsText(i["cause"]) && RefusalCauses.Contains(i["cause"]!.GetValue<string>()))))
        {
            return "no list of refused items, each with catalogReference, locationId, quantities and cause";
        }

        return null;
    }

    private static bool IsText(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String && node.GetValue<string>().Length > 0;

    /// <summary>
    /// Oracle 2, over every tenant in the database: each ledger entry is a seed's or belongs to a request
    /// answered 200; each record's quantity is the sum of its entries and its revision their count; each
    /// 200 left entries; idempotency records exist exactly for the answers that are stored (200 and 428).
    /// </summary>
    private List<string> StoreProblems(List<Outcome> outcomes, HashSet<string> seeded)
    {
        using var connection = _plugin.Services.GetRequiredService<SqliteConnectionFactory>().OpenRead();
        var records = connection.Query<(string Id, string InstanceId, long Quantity, long Revision, long AutoCreated)>(
            "SELECT id, instance_id, quantity, revision, auto_created FROM stock_records").ToList();
        var ledger = connection.Query<(long Seq, string InstanceId, string RecordId, long Delta, string Operation, string? Reason, string? OrderId, string? RequestId)>(
            "SELECT seq, instance_id, record_id, delta, operation, reason, order_id, request_id FROM ledger ORDER BY seq").ToList();
        var idempotency = connection.Query<(string InstanceId, string RequestId, long StatusCode)>(
            "SELECT instance_id, request_id, status_code FROM idempotency").ToList();
        var settings = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM tenant_settings");

        var problems = new List<string>();
        var applied = outcomes.Where(o => o.Status == 200 && o.Case.Signed).ToLookup(o => (o.Case.InstanceId, o.Case.OrderId, o.Case.RequestId));
        var stored = outcomes.Where(o => (o.Status is 200 or 428) && o.Case.Signed && o.Case.RequestId is not null)
            .ToLookup(o => (o.Case.InstanceId, o.Case.RequestId));
        var byOrder = outcomes.Where(o => o.Case.OrderId is not null).ToLookup(o => o.Case.OrderId);

        foreach (var row in ledger)
        {
            var isSeed = row is { Operation: "SET", Reason: "CREATED", OrderId: null, RequestId: null } && seeded.Contains(row.RecordId);
            if (!isSeed && !applied.Contains((row.InstanceId, row.OrderId, row.RequestId)))
            {
                var senders = string.Join(", ", byOrder[row.OrderId].Select(o => $"#{o.Case.Number} answered {o.Status} [{string.Join("; ", o.Case.Mutations)}]"));
                problems.Add($"ledger #{row.Seq} ({row.Operation} {row.Delta} on {row.RecordId}, tenant {row.InstanceId}, order {row.OrderId}, request {row.RequestId}) " +
                    $"belongs to no request answered 200; sent by: {(senders.Length == 0 ? "none" : senders)}");
            }
        }

        var entries = ledger.ToLookup(e => (e.InstanceId, e.RecordId));
        foreach (var record in records)
        {
            var own = entries[(record.InstanceId, record.Id)].ToList();
            if (record.Quantity != own.Sum(e => e.Delta) || record.Revision != own.Count)
            {
                problems.Add($"record {record.Id} (tenant {record.InstanceId}): quantity {record.Quantity}, revision {record.Revision}, " +
                    $"but {own.Count} ledger entries summing to {own.Sum(e => e.Delta)}");
            }

            if (!seeded.Contains(record.Id) && record.AutoCreated != 1)
            {
                problems.Add($"record {record.Id} (tenant {record.InstanceId}) was neither seeded nor auto-created");
            }
        }

        var recordIds = records.Select(r => (r.InstanceId, r.Id)).ToHashSet();
        problems.AddRange(ledger.Where(e => !recordIds.Contains((e.InstanceId, e.RecordId))).Select(e => $"ledger #{e.Seq} names a record that does not exist: {e.RecordId}"));

        var changedOrders = ledger.Select(e => ((string?)e.InstanceId, e.OrderId, e.RequestId)).ToHashSet();
        problems.AddRange(applied.Where(g => !changedOrders.Contains(g.Key))
            .Select(g => $"#{g.First().Case.Number} was answered 200 but left no ledger entry [{string.Join("; ", g.First().Case.Mutations)}]"));

        foreach (var row in idempotency)
        {
            var answers = stored[(row.InstanceId, row.RequestId)].ToList();
            if (!answers.Any(o => o.Status == row.StatusCode))
            {
                problems.Add($"idempotency record ({row.InstanceId}, {row.RequestId}, {row.StatusCode}) belongs to no request answered {row.StatusCode}");
            }
        }

        var remembered = idempotency.Select(r => ((string?)r.InstanceId, (string?)r.RequestId)).ToHashSet();
        problems.AddRange(stored.Where(g => !remembered.Contains(g.Key))
            .Select(g => $"#{g.First().Case.Number} was answered {g.First().Status} with requestId {g.Key.RequestId} but left no idempotency record"));

        if (settings != 0)
        {
            problems.Add($"{settings} tenant settings rows: platform requests never change settings");
        }

        return problems.Take(50).ToList();
    }

    private static async Task ReportAsync(List<Outcome> outcomes, TimeSpan elapsed)
    {
        var report = new StringBuilder();
        report.Append(CultureInfo.InvariantCulture, $"{outcomes.Count} requests in {elapsed.TotalSeconds:0.0} s: ")
            .Append(CultureInfo.InvariantCulture, $"{outcomes.Count(o => o.Case.Signed)} validly signed, {outcomes.Count(o => !o.Case.Signed)} malformed; ")
            .AppendLine(string.Join(", ", outcomes.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
        report.AppendLine("family: mutations applied (in requests answered 200/400/401/409/413/428)");
        foreach (var family in Enum.GetValues<Family>())
        {
            var carriers = outcomes.Where(o => o.Case.Mutations.Any(m => m.Family == family)).ToList();
            var statuses = string.Join("/", new[] { 200, 400, 401, 409, 413, 428 }.Select(s => carriers.Count(o => o.Status == s)));
            report.AppendLine(CultureInfo.InvariantCulture, $"  {family,-14} {outcomes.Sum(o => o.Case.Mutations.Count(m => m.Family == family)),6}  ({statuses})");
        }

        await TestContext.Out.WriteLineAsync(report.ToString());
    }

    private static string NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes).ToString("D");
    }

    private sealed record Mutation(Family Family, string Kind, string Path = "")
    {
        /// <summary>Set when the mutation is spliced into the payload text: it counts only if the placeholder survived.</summary>
        public string? Placeholder { get; init; }

        /// <summary>
        /// The token may be refused as unreadable (401) rather than its envelope as invalid (400): its claims are
        /// wrong, or its payload is beyond what the token library reads before it checks the signature
        /// (nesting past its depth limit, duplicate claim names, which RFC 7519 section 4 lets it reject).
        /// </summary>
        public bool MayBeUnauthenticated { get; init; }

        public override string ToString() => Path.Length == 0 ? $"{Family} {Kind}" : $"{Family} {Kind} at {Path}";
    }

    /// <param name="Signed">The body is a token signed with the platform's key (its claims may still be wrong).</param>
    /// <param name="InstanceId">The ids the service reads from the envelope as sent (canonical GUIDs), when it can read them.</param>
    private sealed record FuzzCase(
        int Number,
        string Path,
        IReadOnlyList<Mutation> Mutations,
        bool Signed,
        Func<PlatformTokens, byte[]> Body,
        int[] ExpectedStatuses,
        bool Chunked = false,
        string? InstanceId = null,
        string? OrderId = null,
        string? RequestId = null);

    private sealed record Outcome(FuzzCase Case, int BodyBytes, int Status, string Body, string? ContentType, string? TransportError);

    /// <summary>A value to put into an envelope: a node, or raw JSON bytes spliced into the payload text.</summary>
    private sealed record Value(string Kind, JsonNode? Node, byte[]? Raw = null)
    {
        public static Value Text(string kind, string raw) => new(kind, null, Encoding.UTF8.GetBytes(raw));
    }

    /// <summary>Where a value sits: a property of an object, or an element of an array.</summary>
    private sealed record Slot(JsonNode Parent, string? Name, int Index, string Path)
    {
        public JsonNode? Get() => Name is null ? Parent.AsArray()[Index] : Parent.AsObject()[Name];

        public void Set(JsonNode? value)
        {
            if (Name is null)
            {
                Parent.AsArray()[Index] = value;
            }
            else
            {
                Parent.AsObject()[Name] = value;
            }
        }
    }

    /// <summary>Builds the cases, all from one seeded <see cref="Random"/>, in order.</summary>
    private sealed class Fuzzer(Random random, List<string> tenants)
    {
        private static readonly JsonSerializerOptions Escaped = new();
        private static readonly JsonSerializerOptions Unescaped = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        private static readonly JsonDocumentOptions LikeTheService = new() { MaxDepth = 64 };

        private static readonly int[] Verified = [200, 400, 409, 428];
        private static readonly int[] MaybeUnauthenticated = [200, 400, 401, 409, 428];
        private static readonly int[] Unauthenticated = [401];
        private static readonly int[] TooLarge = [413];

        private static readonly string[] Numbers =
        [
            "1e308", "-1e308", "1e400", "-1", "0", "-0", "9223372036854775808", "9223372036854775807", "-9223372036854775809",
            "18446744073709551616", "1.5", "1.0", "1e2", "1E+2", "100000", "100001", "2147483648", "5e-324",
            "123456789012345678901234567890", "\"1\"", "\"-1\"", "3",
        ];

        private static readonly (string Kind, int Depth, char Shape)[] Nestings =
        [
            ("arrays 10 deep", 10, 'a'), ("arrays 63 deep", 63, 'a'), ("arrays 65 deep", 65, 'a'), ("arrays 1000 deep", 1_000, 'a'),
            ("arrays 10000 deep", 10_000, 'a'), ("arrays 100000 deep", 100_000, 'a'), ("objects 65 deep", 65, 'o'),
            ("objects 10000 deep", 10_000, 'o'), ("mixed 10000 deep", 10_000, 'm'),
        ];

        private static readonly int[] ItemCounts = [0, 301, 300, 1_000];

        private static readonly string[] ExtraNames = ["x-fuzz", "", "ü", "__proto__", "constructor", "$type", "Request", "DATA", "items ", new string('n', 1_000)];

        private readonly Random _random = random;
        private int _placeholders;

        /// <summary>The kinds each family draws from; the test asserts that every one was sent.</summary>
        public static IEnumerable<(Family Family, IEnumerable<string> Kinds)> Kinds()
        {
            var strings = new Fuzzer(new Random(0), ["00000000-0000-0000-0000-000000000000"]).Strings().Select(s => s.Kind).ToList();
            yield return (Family.Numbers, Numbers);
            yield return (Family.Strings, strings);
            yield return (Family.DeepNesting, Nestings.Select(n => n.Kind));
            yield return (Family.ItemCount, ItemCounts.Select(n => $"{n} items"));
            yield return (Family.GarbageData, Garbage(new JsonObject()).Select(g => g.Kind));
            yield return (Family.Claims, ClaimEdits().Select(c => c.Kind));
            yield return (Family.BrokenJson, BrokenJsonEdits(new Random(0)).Select(b => b.Kind));
            yield return (Family.ExtraField, ExtraNames.Select(ExtraKind));
        }

        /// <summary>The paths of an envelope that has every field the contract names (or only its properties, not array elements).</summary>
        public static HashSet<string> ReferencePaths(bool propertiesOnly)
        {
            var envelope = new Fuzzer(new Random(0), ["00000000-0000-0000-0000-000000000000"]).Envelope(decrement: true, complete: true);
            return Slots(envelope, "").Where(s => !propertiesOnly || s.Name is not null).Select(s => s.Path).ToHashSet();
        }

        public FuzzCase Signed(int number, PlatformTokens tokens)
        {
            var decrement = _random.Next(2) == 0;
            var path = (_random.Next(20) == 0 ? "/" : "") + (decrement ? "/v1/decrement" : "/v1/increment");
            var data = Envelope(decrement, complete: false);
            var payload = tokens.DefaultPayload(null);
            payload["data"] = data;
            var header = PlatformTokens.DefaultHeader();
            var raws = new Dictionary<string, byte[]>();
            var mutations = new List<Mutation>();

            if (_random.Next(100) < UnmutatedPercent)
            {
                mutations.Add(new Mutation(Family.Unmutated, "valid"));
            }
            else
            {
                // Families that rewrite the whole data claim, its claims around it or the payload text go last.
                var families = Enumerable.Range(0, 1 + _random.Next(3)).Select(_ => PickFamily()).OrderBy(f => f).ToList();
                foreach (var family in families)
                {
                    mutations.Add(Mutate(family, payload, header, raws));
                }
            }

            var text = Encoding.UTF8.GetBytes(payload.ToJsonString(_random.Next(2) == 0 ? Escaped : Unescaped));
            text = Splice(text, raws, out var found);
            mutations.RemoveAll(m => m.Placeholder is not null && !found.Contains(m.Placeholder));
            var broken = mutations.Any(m => m.Family == Family.BrokenJson);
            if (broken)
            {
                var (kind, edit) = Pick(BrokenJsonEdits(_random));
                text = edit(text);
                mutations.Add(new Mutation(Family.BrokenJson, kind));
                mutations.RemoveAll(m => m is { Family: Family.BrokenJson, Kind: "" });
            }

            var (instanceId, orderId, requestId) = Identify(text);
            var lenient = mutations.Any(m => m.MayBeUnauthenticated || m.Family is Family.Claims or Family.BrokenJson);
            return new FuzzCase(number, path, mutations, Signed: true, t => Encoding.ASCII.GetBytes(t.SignPayload(text, header)),
                lenient ? MaybeUnauthenticated : Verified, InstanceId: instanceId, OrderId: orderId, RequestId: requestId);
        }

        public FuzzCase Malformed(int number)
        {
            var path = _random.Next(2) == 0 ? "/v1/decrement" : "/v1/increment";
            var data = Envelope(path.EndsWith("decrement", StringComparison.Ordinal), complete: false);
            var family = (Family)_random.Next((int)Family.NotAJwt, (int)Family.BinaryBytes + 1);
            string Token(PlatformTokens t) => t.Sign(data);
            var position = _random.NextDouble();
            var choice = _random.Next(1_000);
            var noise = new byte[1 + _random.Next(4_096)];
            _random.NextBytes(noise);
            (string Kind, Func<PlatformTokens, byte[]> Body) body = family switch
            {
                Family.NotAJwt => Pick<(string, Func<PlatformTokens, byte[]>)>(
                [
                    ("words", _ => Ascii("this is not a token")),
                    ("the envelope as JSON", _ => Ascii(data.ToJsonString())),
                    ("two segments", _ => Ascii("eyJhbGciOiJSUzI1NiJ9.eyJkYXRhIjp7fX0")),
                    ("four segments", t => Ascii(Token(t) + ".AAAA")),
                    ("dots only", _ => Ascii("....")),
                    ("Bearer prefix", t => Ascii("Bearer " + Token(t))),
                    ("two tokens", t => Ascii(Token(t) + " " + Token(t))),
                    ("token in JSON", t => Ascii($$"""{"token":"{{Token(t)}}"}""")),
                    ("form field", t => Ascii("token=" + Token(t))),
                ]),
                Family.TruncatedJwt => ("cut", t =>
                {
                    var token = Token(t);
                    return Ascii(token[..Math.Max(1, (int)(position * (token.Length - 1)))]);
                }),
                Family.BadBase64 => ("bad character", t =>
                {
                    var token = new StringBuilder(Token(t));
                    var at = (int)(position * (token.Length - 1));
                    at = token[at] == '.' ? at + 1 : at;
                    token[at] = "!*#$%&()+/=\\ ~é"[choice % 15];
                    return Encoding.UTF8.GetBytes(token.ToString());
                }),
                Family.TamperedToken => Pick<(string, Func<PlatformTokens, byte[]>)>(
                [
                    ("one character changed", t =>
                    {
                        var token = new StringBuilder(Token(t));
                        var at = (int)(position * (token.Length - 1));
                        at = token[at] == '.' ? at + 1 : at;
                        token[at] = token[at] == 'A' ? 'B' : 'A';
                        return Ascii(token.ToString());
                    }),
                    ("payload of another token", t =>
                    {
                        var parts = Token(t).Split('.');
                        return Ascii($"{parts[0]}.{t.Sign(new JsonObject()).Split('.')[1]}.{parts[2]}");
                    }),
                    ("alg none", t => Ascii(PlatformTokens.SigningInput(new JsonObject { ["alg"] = "none" }, t.DefaultPayload(data)) + ".")),
                    ("HS256 keyed with the public key", t => Ascii(PlatformTokens.SignHs256(
                        new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT" }, t.DefaultPayload(data), Encoding.UTF8.GetBytes(t.Key.ExportSubjectPublicKeyInfoPem())))),
                    ("signature removed", t => Ascii(Token(t)[..(Token(t).LastIndexOf('.') + 1)])),
                ]),
                Family.HugeBody => Pick<(string, Func<PlatformTokens, byte[]>)>(
                [
                    ("letters", _ => Ascii(new string('a', PlatformVerificationFilter.MaxBodyBytes + 1 + choice))),
                    ("token padded with spaces", t => Ascii(Token(t) + new string(' ', PlatformVerificationFilter.MaxBodyBytes))),
                ]),
                Family.EmptyBody => Pick<(string, Func<PlatformTokens, byte[]>)>([("empty", _ => []), ("spaces", _ => Ascii("   ")), ("line breaks", _ => Ascii("\r\n\t"))]),
                _ => Pick<(string, Func<PlatformTokens, byte[]>)>(
                [
                    ("random bytes", _ => noise),
                    ("UTF-16 token", t => Encoding.Unicode.GetBytes(Token(t))),
                    ("NUL inside the token", t => [.. Ascii(Token(t)).Take(40), 0, .. Ascii(Token(t)).Skip(40)]),
                    ("invalid UTF-8 then token", t => [0xC3, 0x28, 0xFF, .. Ascii(Token(t))]),
                ]),
            };
            return new FuzzCase(number, path, [new Mutation(family, body.Kind)], Signed: false, body.Body,
                family == Family.HugeBody ? TooLarge : Unauthenticated, Chunked: family == Family.HugeBody && choice % 2 == 0);
        }

        /// <summary>A valid envelope; <paramref name="complete"/> sets every optional field the contract names.</summary>
        public JsonObject Envelope(bool decrement, bool complete)
        {
            var itemCount = complete ? 1 : _random.Next(10) switch
            {
                < 6 => 1,
                < 9 => 2 + _random.Next(4),
                _ => 6 + _random.Next(20),
            };
            var request = new JsonObject
            {
                ["items"] = new JsonArray([.. Enumerable.Range(0, itemCount).Select(_ => (JsonNode)Item(complete))]),
                ["orderId"] = NewGuid(_random),
                ["reason"] = Pick(Reasons),
            };
            if (decrement)
            {
                switch (complete ? 0 : _random.Next(10))
                {
                    case < 4:
                        request["restrictInventoryValue"] = true;
                        break;
                    case < 8:
                        request["restrictInventoryValue"] = false;
                        break;
                    case 8:
                        request["restrictInventoryValue"] = null;
                        break;
                }
            }

            var identity = Pick<(string Type, string? Field)>([("ANONYMOUS_VISITOR", "anonymousVisitorId"), ("MEMBER", "memberId"), ("WIX_USER", "wixUserId"), ("APP", "appId"), ("UNKNOWN", null)]);
            identity = complete ? ("ANONYMOUS_VISITOR", "anonymousVisitorId") : identity;
            var metadata = new JsonObject
            {
                ["requestId"] = complete || _random.Next(20) > 0 ? NewGuid(_random) : null,
                ["instanceId"] = _random.Next(10) == 0 ? NewGuid(_random) : Pick(tenants),
                ["currency"] = "EUR",
                ["languages"] = complete || _random.Next(2) == 0 ? new JsonArray("de-DE", "en-US") : "de-DE",
                ["identity"] = new JsonObject { ["identityType"] = identity.Type },
                ["appExtensionType"] = complete || _random.Next(4) > 0 ? "ECOM_INVENTORY" : "ecom_inventory",
            };
            if (identity.Field is not null)
            {
                metadata["identity"]![identity.Field] = NewGuid(_random);
            }

            return new JsonObject { ["request"] = request, ["metadata"] = metadata };
        }

        private JsonObject Item(bool complete)
        {
            var roll = _random.Next(100);
            var sku = roll < 70 ? Pick(Skus) : roll < 85 ? Pick(SpecialSkus) : $"new-{_random.Next(10_000)}";
            JsonObject? options = (complete ? 9 : _random.Next(10)) switch
            {
                < 5 => null,
                6 => new JsonObject { ["variantId"] = "v-1" },
                7 => new JsonObject { ["options"] = new JsonObject { ["Size"] = "M", ["Color"] = "Red" } },
                8 => new JsonObject { ["customTextFields"] = new JsonObject { ["Engraving"] = "Hi" } },
                _ => new JsonObject { ["variantId"] = "v-1", ["options"] = new JsonObject { ["Size"] = "M" } },
            };
            var reference = new JsonObject
            {
                ["catalogItemId"] = sku,
                ["appId"] = _random.Next(20) == 0 ? NewGuid(_random) : Envelopes.StoresAppId,
            };
            if (complete || options is not null || _random.Next(5) > 0)
            {
                reference["options"] = options;
            }

            var quantity = _random.Next(100) switch
            {
                < 90 => 1 + _random.Next(3),
                < 98 => 1 + _random.Next(100),
                _ => 1 + _random.Next(EnvelopeParser.MaxQuantity),
            };
            var item = new JsonObject { ["catalogReference"] = reference, ["quantity"] = quantity };
            switch (complete ? 0 : _random.Next(10))
            {
                case < 3:
                    item["locationId"] = _random.Next(2) == 0 ? LocationA : LocationB;
                    break;
                case 3:
                    item["locationId"] = null;
                    break;
            }

            if (complete || _random.Next(10) < 6)
            {
                item["subscriptionItem"] = _random.Next(4) == 0;
            }

            return item;
        }

        private Family PickFamily() => _random.Next(28) switch
        {
            < 4 => Family.TypeChange,
            < 8 => Family.MissingField,
            < 11 => Family.ExtraField,
            < 14 => Family.Numbers,
            < 18 => Family.Strings,
            < 20 => Family.DeepNesting,
            < 22 => Family.DuplicateKeys,
            < 24 => Family.ItemCount,
            < 26 => Family.GarbageData,
            26 => Family.Claims,
            _ => Family.BrokenJson,
        };

        private Mutation Mutate(Family family, JsonObject payload, JsonObject header, Dictionary<string, byte[]> raws)
        {
            var data = payload["data"];
            var slots = Slots(data, "");
            var objects = Objects(data, "").ToList();
            if (family is Family.TypeChange or Family.MissingField or Family.Numbers or Family.Strings or Family.DeepNesting or Family.DuplicateKeys or Family.ExtraField
                && (slots.Count == 0 || objects.Count == 0))
            {
                // An earlier mutation left no envelope to edit (items removed, data replaced): change the claims instead.
                family = Family.Claims;
            }

            switch (family)
            {
                case Family.TypeChange:
                {
                    var slot = Pick(slots);
                    var value = AnotherKind(slot.Get());
                    slot.Set(value.Node);
                    return new Mutation(family, value.Kind, slot.Path);
                }

                case Family.MissingField:
                {
                    var slot = Pick(slots.Where(s => s.Name is not null).ToList());
                    slot.Parent.AsObject().Remove(slot.Name!);
                    return new Mutation(family, "removed", slot.Path);
                }

                case Family.ExtraField:
                {
                    var (target, path) = Pick(objects);
                    var chosen = Pick(ExtraNames);
                    var name = target.ContainsKey(chosen) ? chosen + "-again" : chosen;
                    target.Insert(_random.Next(target.Count + 1), name, Pick(SomeValues()).Node);
                    return new Mutation(family, ExtraKind(chosen), path);
                }

                case Family.Numbers:
                {
                    var quantities = slots.Where(s => s.Name == "quantity").ToList();
                    var slot = quantities.Count > 0 && _random.Next(2) == 0 ? Pick(quantities) : Pick(slots);
                    var number = Pick(Numbers);
                    slot.Set(JsonNode.Parse(number));
                    return new Mutation(family, number, slot.Path);
                }

                case Family.Strings:
                    return MutateString(slots, objects, raws);

                case Family.DeepNesting:
                {
                    var (kind, depth, shape) = Pick(Nestings);
                    var placeholder = Placeholder(raws, Nested(depth, shape));
                    var tooDeep = depth > 32;
                    var items = objects.Where(o => o.Path.StartsWith("request.items[]", StringComparison.Ordinal)).ToList();
                    if (items.Count > 0 && _random.Next(2) == 0)
                    {
                        var (item, path) = Pick(items);
                        var name = _random.Next(2) == 0 && item.Count > 0 ? item.ElementAt(_random.Next(item.Count)).Key : "nested";
                        item[name] = placeholder;
                        return new Mutation(family, kind, $"{path}.{name}") { Placeholder = placeholder, MayBeUnauthenticated = tooDeep };
                    }

                    var slot = Pick(slots);
                    slot.Set(placeholder);
                    return new Mutation(family, kind, slot.Path) { Placeholder = placeholder, MayBeUnauthenticated = tooDeep };
                }

                case Family.DuplicateKeys:
                {
                    JsonObject target;
                    string path;
                    if (_random.Next(5) == 0)
                    {
                        (target, path) = (payload, "(payload)");
                    }
                    else
                    {
                        var candidates = objects.Where(o => o.Node.Count > 0).ToList();
                        (target, path) = candidates.Count > 0 ? Pick(candidates) : (payload, "(payload)");
                    }

                    var (name, existing) = target.ElementAt(_random.Next(target.Count));
                    var same = _random.Next(2) == 0;
                    var placeholder = Placeholder(raws, JsonSerializer.SerializeToUtf8Bytes(name, Escaped));
                    target.Insert(_random.Next(target.Count + 1), placeholder, same ? existing?.DeepClone() : Pick(SomeValues()).Node);
                    return new Mutation(family, same ? "same value twice" : "another value", $"{path}.{name}")
                    {
                        Placeholder = placeholder,
                        MayBeUnauthenticated = target == payload,
                    };
                }

                case Family.ItemCount:
                {
                    var count = Pick(ItemCounts);
                    if (data?["request"] is not JsonObject request)
                    {
                        return Mutate(Family.Claims, payload, header, raws);
                    }

                    request["items"] = new JsonArray([.. Enumerable.Range(0, count).Select(_ => (JsonNode)Item(complete: false))]);
                    return new Mutation(family, $"{count} items", "request.items");
                }

                case Family.GarbageData:
                {
                    var (kind, value) = Pick(Garbage(data));
                    if (kind == "missing")
                    {
                        payload.Remove("data");
                    }
                    else
                    {
                        payload["data"] = value;
                    }

                    return new Mutation(family, kind);
                }

                case Family.Claims:
                {
                    var (kind, edit) = Pick(ClaimEdits());
                    edit(payload, header, raw => Placeholder(raws, raw));
                    return new Mutation(family, kind);
                }

                default:
                    // The payload text is broken after it is written (see Signed).
                    return new Mutation(Family.BrokenJson, "");
            }
        }

        private Mutation MutateString(List<Slot> slots, List<(JsonObject Node, string Path)> objects, Dictionary<string, byte[]> raws)
        {
            var value = Pick(Strings());
            var roll = _random.Next(100);
            var named = objects.Where(o => o.Node.Count > 0).ToList();
            if (roll < 15 && named.Count > 0)
            {
                // The string becomes a property name instead: option names, or a name the contract requires.
                var choices = named.Where(o => o.Path.EndsWith("options.options", StringComparison.Ordinal)).ToList();
                var (target, path) = choices.Count > 0 && _random.Next(2) == 0 ? Pick(choices) : Pick(named);
                var (old, child) = target.ElementAt(_random.Next(target.Count));
                var name = value.Raw is null ? value.Node!.GetValue<string>() : Placeholder(raws, value.Raw);
                if (target.ContainsKey(name))
                {
                    return new Mutation(Family.Strings, value.Kind + " as a name (already there)", path);
                }

                var index = target.IndexOf(old);
                target.Remove(old);
                target.Insert(index, name, child);
                return new Mutation(Family.Strings, value.Kind, $"{path}.(name of {old})") { Placeholder = value.Raw is null ? null : name };
            }

            var strings = slots.Where(s => s.Get()?.GetValueKind() == JsonValueKind.String).ToList();
            var ids = slots.Where(s => s.Name == "catalogItemId").ToList();
            var slot = roll < 40 && ids.Count > 0 ? Pick(ids) : roll < 80 && strings.Count > 0 ? Pick(strings) : Pick(slots);
            var placeholder = value.Raw is null ? null : Placeholder(raws, value.Raw);
            slot.Set(value.Node ?? placeholder);
            return new Mutation(Family.Strings, value.Kind, slot.Path) { Placeholder = placeholder };
        }

        private List<Value> Strings()
        {
            string Repeat(string text, int times) => string.Concat(Enumerable.Repeat(text, times));
            var guid = NewGuid(_random);
            return
            [
                new("10000 ASCII", new string('x', 10_000)),
                new("10000 non-ASCII", new string('ü', 10_000)),
                new("5000 emoji", Repeat("🧦", 5_000)),
                new("German", "Größe-Ü"),
                new("CJK", "靴下の在庫"),
                new("Arabic", "جوارب"),
                new("RTL override", "\u202Esku-1"),
                new("emoji with modifiers", "🧦👕🏽‍♂️"),
                new("18 emoji (36 UTF-16 units)", Repeat("🧦", 18)),
                new("19 emoji", Repeat("🧦", 19)),
                new("NUL inside", "sku\u0000-1"),
                new("control characters", "\u0001\u0002\t\n\r\u001f\u007f"),
                new("zero-width and BOM", "\u200B\uFEFF"),
                new("empty", ""),
                new("blank", "   "),
                new("36 characters", new string('c', 36)),
                new("37 characters", new string('c', 37)),
                new("256 characters", new string('r', 256)),
                new("257 characters", new string('r', 257)),
                new("GUID in braces", "{" + guid + "}"),
                new("GUID upper case", guid.ToUpperInvariant()),
                new("GUID without hyphens", guid.Replace("-", "", StringComparison.Ordinal)),
                new("the word null", "null"),
                Value.Text("lone high surrogate escape", "\"\\ud800\""),
                Value.Text("lone low surrogate escape", "\"\\udfff\""),
                Value.Text("reversed surrogate pair escape", "\"\\udc00\\ud800\""),
                Value.Text("high surrogate escape then a letter", "\"sku\\ud83dx\""),
                new("invalid UTF-8", null, [0x22, 0xC3, 0x28, 0x22]),
                new("UTF-8 encoded surrogate", null, [0x22, 0xED, 0xA0, 0x80, 0x22]),
                new("overlong UTF-8", null, [0x22, 0xC0, 0xAF, 0x22]),
            ];
        }

        private Value AnotherKind(JsonNode? current)
        {
            var kind = current?.GetValueKind() ?? JsonValueKind.Null;
            kind = kind == JsonValueKind.False ? JsonValueKind.True : kind;
            var others = SomeValues().Where(v => (v.Node?.GetValueKind() ?? JsonValueKind.Null) switch
            {
                JsonValueKind.False => JsonValueKind.True,
                var k => k,
            } != kind).ToList();
            return Pick(others);
        }

        private List<Value> SomeValues() =>
        [
            new("to string", "fuzz"),
            new("to GUID string", NewGuid(_random)),
            new("to number", 7),
            new("to negative number", -7),
            new("to true", true),
            new("to false", false),
            new("to null", null),
            new("to empty array", new JsonArray()),
            new("to array", new JsonArray(1, "a", null, new JsonObject())),
            new("to empty object", new JsonObject()),
            new("to object", new JsonObject { ["k"] = "v", ["n"] = new JsonArray(1) }),
        ];

        private static List<(string Kind, JsonNode? Value)> Garbage(JsonNode? envelope) =>
        [
            ("a string", "data"),
            ("the envelope as a JSON string", envelope?.ToJsonString() ?? "{}"),
            ("an empty string", ""),
            ("a number", 42),
            ("1e308", JsonNode.Parse("1e308")),
            ("true", true),
            ("false", false),
            ("null", null),
            ("missing", null),
            ("an empty array", new JsonArray()),
            ("an array holding the envelope", new JsonArray(envelope?.DeepClone())),
            ("an empty object", new JsonObject()),
            ("nested in data", new JsonObject { ["data"] = envelope?.DeepClone() }),
        ];

        /// <summary>Edits of the payload's claims and of the header; the third argument turns raw JSON into a placeholder.</summary>
        private static List<(string Kind, Action<JsonObject, JsonObject, Func<byte[], string>> Edit)> ClaimEdits()
        {
            var now = PlatformTokens.Now;
            return
            [
                ("exp a string", (p, _, _) => p["exp"] = (now + 300).ToString(CultureInfo.InvariantCulture)),
                ("exp 1e308", (p, _, _) => p["exp"] = JsonNode.Parse("1e308")),
                ("exp long.MaxValue", (p, _, _) => p["exp"] = long.MaxValue),
                ("exp in the year 10000", (p, _, _) => p["exp"] = 253_402_300_800),
                ("exp past", (p, _, _) => p["exp"] = now - 3_600),
                ("exp missing", (p, _, _) => p.Remove("exp")),
                ("exp fractional", (p, _, _) => p["exp"] = now + 300.5),
                ("exp null", (p, _, _) => p["exp"] = null),
                ("exp negative", (p, _, _) => p["exp"] = -1),
                ("iat in the year 10000", (p, _, _) => p["iat"] = 253_402_300_800),
                ("iat long.MaxValue", (p, _, _) => p["iat"] = long.MaxValue),
                ("iat long.MinValue", (p, _, _) => p["iat"] = long.MinValue),
                ("iat before the year 1", (p, _, _) => p["iat"] = -62_135_596_801),
                ("iat a string", (p, _, _) => p["iat"] = "now"),
                ("iat fractional", (p, _, _) => p["iat"] = now + 0.5),
                ("iat 1e308", (p, _, _) => p["iat"] = JsonNode.Parse("1e308")),
                ("iat in an hour", (p, _, _) => p["iat"] = now + 3_600),
                ("iat missing", (p, _, _) => p.Remove("iat")),
                ("nbf in an hour", (p, _, _) => p["nbf"] = now + 3_600),
                ("nbf in the year 10000", (p, _, _) => p["nbf"] = 253_402_300_800),
                ("nbf long.MinValue", (p, _, _) => p["nbf"] = long.MinValue),
                ("nbf 1e308", (p, _, _) => p["nbf"] = JsonNode.Parse("1e308")),
                ("nbf a string", (p, _, _) => p["nbf"] = "soon"),
                ("aud an array with the app id", (p, _, _) => p["aud"] = new JsonArray(PluginInstance.AppId)),
                ("aud an array of others", (p, _, _) => p["aud"] = new JsonArray("someone", "else")),
                ("aud a number", (p, _, _) => p["aud"] = 5),
                ("aud null", (p, _, _) => p["aud"] = null),
                ("iss an array", (p, _, _) => p["iss"] = new JsonArray("wix.com")),
                ("iss a number", (p, _, _) => p["iss"] = 5),
                ("iss upper case", (p, _, _) => p["iss"] = "WIX.COM"),
                ("iss missing", (p, _, _) => p.Remove("iss")),
                ("more claims", (p, _, _) =>
                {
                    p["jti"] = "j-1";
                    p["sub"] = new JsonObject { ["deep"] = new JsonArray(1, 2) };
                }),
                ("iss a lone surrogate escape", (p, _, raw) => p["iss"] = raw(Encoding.ASCII.GetBytes("\"wix.com\\ud800\""))),
                ("aud invalid UTF-8", (p, _, raw) => p["aud"] = raw([0x22, 0xC3, 0x28, 0x22])),
                ("a claim named by a lone surrogate escape", (p, _, raw) => p[raw(Encoding.ASCII.GetBytes("\"\\udc00\""))] = 1),
                ("header kid", (_, h, _) => h["kid"] = "key-1"),
                ("header kid a number", (_, h, _) => h["kid"] = 5),
                ("header typ missing", (_, h, _) => h.Remove("typ")),
                ("header typ JOSE", (_, h, _) => h["typ"] = "JOSE"),
                ("header alg lower case", (_, h, _) => h["alg"] = "rs256"),
                ("header alg none", (_, h, _) => h["alg"] = "none"),
                ("header crit", (_, h, _) => h["crit"] = new JsonArray("exp")),
                ("header jku", (_, h, _) => h["jku"] = "http://127.0.0.1:1/keys"),
                ("header x5c junk", (_, h, _) => h["x5c"] = new JsonArray("AAAA")),
                ("header zip", (_, h, _) => h["zip"] = "DEF"),
                ("header cty JWT", (_, h, _) => h["cty"] = "JWT"),
                ("header enc", (_, h, _) => h["enc"] = "A256GCM"),
            ];
        }

        private static List<(string Kind, Func<byte[], byte[]> Edit)> BrokenJsonEdits(Random random)
        {
            var cut = random.NextDouble();
            byte[] Replace(byte[] text, string from, string to)
            {
                var at = text.AsSpan().IndexOf(Encoding.UTF8.GetBytes(from));
                return at < 0 ? [.. text, .. Encoding.UTF8.GetBytes(to)] : [.. text[..at], .. Encoding.UTF8.GetBytes(to), .. text[(at + Encoding.UTF8.GetByteCount(from))..]];
            }

            return
            [
                ("truncated", t => t[..Math.Max(1, (int)(cut * (t.Length - 1)))]),
                ("trailing garbage", t => [.. t, (byte)'x']),
                ("two documents", t => [.. t, (byte)'{', (byte)'}']),
                ("comment", t => [t[0], .. Encoding.UTF8.GetBytes("/*c*/"), .. t[1..]]),
                ("trailing comma", t => [.. t[..^1], (byte)',', (byte)'}']),
                ("single quotes", t => Replace(t, "\"iss\"", "'iss'")),
                ("NaN", t => [.. t[..^1], .. Encoding.UTF8.GetBytes(",\"n\":NaN}")]),
                ("raw control character in a string", t => Replace(t, "wix.com", "wix\u0001.com")),
                ("byte order mark", t => [0xEF, 0xBB, 0xBF, .. t]),
                ("empty payload", _ => []),
                ("payload null", _ => Ascii("null")),
                ("payload an array", _ => Ascii("[]")),
                ("payload a string", _ => Ascii("\"data\"")),
                ("payload UTF-16", t => Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(t))),
            ];
        }

        private static string ExtraKind(string name) => name.Length switch
        {
            0 => "empty name",
            > 100 => "1000-character name",
            _ => name,
        };

        private static byte[] Nested(int depth, char shape)
        {
            var text = new StringBuilder((depth * 6) + 2);
            for (var i = 0; i < depth; i++)
            {
                text.Append(shape == 'a' || (shape == 'm' && i % 2 == 0) ? "[" : "{\"a\":");
            }

            text.Append('1');
            for (var i = depth - 1; i >= 0; i--)
            {
                text.Append(shape == 'a' || (shape == 'm' && i % 2 == 0) ? ']' : '}');
            }

            return Encoding.ASCII.GetBytes(text.ToString());
        }

        /// <summary>A string to stand in for raw bytes until the payload is written.</summary>
        private string Placeholder(Dictionary<string, byte[]> raws, byte[] raw)
        {
            var placeholder = $"__raw{_placeholders++}__";
            raws[placeholder] = raw;
            return placeholder;
        }

        /// <summary>Replaces every quoted placeholder with its raw bytes.</summary>
        private static byte[] Splice(byte[] text, Dictionary<string, byte[]> raws, out HashSet<string> found)
        {
            found = [];
            foreach (var (placeholder, raw) in raws)
            {
                var quoted = Encoding.ASCII.GetBytes($"\"{placeholder}\"");
                int at;
                while ((at = text.AsSpan().IndexOf(quoted)) >= 0)
                {
                    found.Add(placeholder);
                    text = [.. text[..at], .. raw, .. text[(at + quoted.Length)..]];
                }
            }

            return text;
        }

        /// <summary>The ids the service will read from the payload (GUIDs canonical, an empty requestId none), if it can read them.</summary>
        private static (string? InstanceId, string? OrderId, string? RequestId) Identify(byte[] payload)
        {
            try
            {
                using var document = JsonDocument.Parse(payload, LikeTheService);
                var data = document.RootElement.GetProperty("data");
                var metadata = data.GetProperty("metadata");
                var instanceId = Guid.Parse(metadata.GetProperty("instanceId").GetString()!).ToString("D");
                var orderId = Guid.Parse(data.GetProperty("request").GetProperty("orderId").GetString()!).ToString("D");
                var requestId = metadata.TryGetProperty("requestId", out var id) && id.ValueKind == JsonValueKind.String && id.GetString()!.Length > 0 ? id.GetString() : null;
                return (instanceId, orderId, requestId);
            }
            catch (Exception exception) when (exception is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException)
            {
                return default;
            }
        }

        private static List<Slot> Slots(JsonNode? node, string path)
        {
            var slots = new List<Slot>();
            Walk(node, path, slots);
            return slots;
        }

        private static void Walk(JsonNode? node, string path, List<Slot> slots)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (name, child) in o.ToList())
                    {
                        var at = path.Length == 0 ? name : $"{path}.{name}";
                        slots.Add(new Slot(o, name, -1, at));
                        Walk(child, at, slots);
                    }

                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        slots.Add(new Slot(a, null, i, path + "[]"));
                        Walk(a[i], path + "[]", slots);
                    }

                    break;
            }
        }

        private static IEnumerable<(JsonObject Node, string Path)> Objects(JsonNode? node, string path)
        {
            if (node is JsonObject root)
            {
                yield return (root, path.Length == 0 ? "data" : path);
            }

            foreach (var slot in Slots(node, path))
            {
                if (slot.Get() is JsonObject o)
                {
                    yield return (o, slot.Path);
                }
            }
        }

        private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

        private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
    }
}
