using System.Buffers;
using System.Diagnostics;
using System.Text;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Platform;

/// <summary>
/// Carried by the whole platform route group, so no platform route can skip it: reads the raw body
/// (whatever its content type), verifies the token, parses the envelope, and only then lets the
/// endpoint run, with the parsed request in <see cref="PlatformCall"/>. Emits the request's one log event.
/// </summary>
public sealed partial class PlatformVerificationFilter(PlatformTokenVerifier verifier, Hosting.InventoryMetrics metrics, ILogger<PlatformVerificationFilter> logger) : IEndpointFilter
{
    public const int MaxBodyBytes = 1024 * 1024;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        var http = context.HttpContext;
        var operation = http.GetEndpoint()?.Metadata.GetMetadata<PlatformOperationMetadata>()?.Operation
            ?? throw new InvalidOperationException("A platform route lacks its PlatformOperationMetadata.");
        var call = new PlatformCall(operation);
        http.Features.Set(call);

        var result = await VerifyThenRunAsync(context, next, call).ConfigureAwait(false);
        var operationName = operation == StockOperation.Decrement ? "decrement" : "increment";
        metrics.PlatformRequests.WithLabels(operationName, PlatformCall.LogName(call.Outcome)).Inc();
        metrics.PlatformDuration.WithLabels(operationName).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);

        if (logger.IsEnabled(LogLevel.Information))
        {
            var envelope = call.Envelope;
            var statusCode = (result as IStatusCodeHttpResult)?.StatusCode ?? http.Response.StatusCode;
            var durationMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var outcome = PlatformCall.LogName(call.Outcome);
            LogPlatformRequest(
                operation, outcome, statusCode,
                envelope?.RequestId, envelope?.InstanceId, envelope?.OrderId, envelope?.Reason, envelope?.ItemCount ?? 0, durationMs);
        }
        return result;
    }

    private async ValueTask<object?> VerifyThenRunAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, PlatformCall call)
    {
        var body = await ReadBodyAsync(context.HttpContext.Request).ConfigureAwait(false);
        if (body is null)
        {
            call.Outcome = PlatformOutcome.TooLarge;
            return PlatformResponses.TooLarge(MaxBodyBytes);
        }

        var verification = await verifier.VerifyAsync(Encoding.UTF8.GetString(body)).ConfigureAwait(false);
        if (verification.Payload is null)
        {
            call.Outcome = PlatformOutcome.Unauthenticated;
            LogUnauthenticated(call.Operation, verification.Failure!);
            return PlatformResponses.Unauthenticated(verification.Failure!);
        }

        call.Envelope = EnvelopeParser.Parse(verification.Payload, call.Operation);
        if (call.Envelope.Change is null)
        {
            call.Outcome = PlatformOutcome.Invalid;
            return PlatformResponses.Invalid(call.Envelope.Violations);
        }

        call.Change = call.Envelope.Change;
        return await next(context).ConfigureAwait(false);
    }

    /// <summary>The body as bytes, or <c>null</c> when it is over the limit.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        if (request.ContentLength is { } length)
        {
            // The usual case: read straight into a buffer of the announced size, no growing copies.
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return exact;
        }

        using var body = new MemoryStream(4096);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (body.Length + read > MaxBodyBytes)
                {
                    return null;
                }

                body.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return body.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Platform {Operation} request refused as unauthenticated: {Why}")]
    private partial void LogUnauthenticated(StockOperation operation, string why);

    [LoggerMessage(Level = LogLevel.Information, Message =
        "Platform {Operation} {Outcome} ({StatusCode}) requestId={PlatformRequestId} instanceId={InstanceId} orderId={OrderId} reason={Reason} items={ItemCount} in {DurationMs:0.0} ms")]
    private partial void LogPlatformRequest(
        StockOperation operation, string outcome, int statusCode, string? platformRequestId, string? instanceId, string? orderId, string? reason, int itemCount, double durationMs);
}
