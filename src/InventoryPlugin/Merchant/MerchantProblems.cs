using System.Text.Json;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace InventoryPlugin.Merchant;

/// <summary>
/// RFC 7807 answers for the merchant API, each with a machine-readable <c>code</c>; the one place
/// that decides which outcome is which status.
/// </summary>
public static class MerchantProblems
{
    public static IResult Validation(ValidationErrors errors) =>
        TypedResults.ValidationProblem(errors.ToDictionary(), title: "The request is not valid.", extensions: Code("VALIDATION_FAILED"));

    public static IResult NotFound(string what) => Problem(StatusCodes.Status404NotFound, "NOT_FOUND", $"{what} was not found.");

    public static IResult Problem(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extra = null)
    {
        var extensions = Code(code);
        foreach (var (key, value) in extra ?? new Dictionary<string, object?>())
        {
            extensions[key] = value;
        }

        return TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);
    }

    /// <summary>The single mapping of a record change's outcome to the wire.</summary>
    public static IResult ToResult(RecordOutcome outcome) => outcome switch
    {
        RecordOutcome.Created created => TypedResults.Created($"inventory-items/{created.Record.Id}", InventoryItemView.From(created.Record)),
        RecordOutcome.Updated updated => TypedResults.Ok(InventoryItemView.From(updated.Record)),
        RecordOutcome.Unchanged unchanged => TypedResults.Ok(InventoryItemView.From(unchanged.Record)),
        RecordOutcome.AlreadyExists exists => Problem(StatusCodes.Status409Conflict, "ALREADY_EXISTS", "A record for this item and location exists already.",
            extra: new Dictionary<string, object?> { ["existingId"] = exists.ExistingId }),
        RecordOutcome.NotFound => NotFound("The inventory item"),
        RecordOutcome.RevisionMismatch mismatch => Problem(StatusCodes.Status409Conflict, "REVISION_MISMATCH", "The record has changed since that revision.",
            extra: new Dictionary<string, object?> { ["currentRevision"] = mismatch.CurrentRevision }),
        RecordOutcome.Refused refused => Problem(StatusCodes.Status409Conflict, "INSUFFICIENT_STOCK", "The adjustment would take the record below what it may sell.",
            extra: new Dictionary<string, object?>
            {
                ["cause"] = Platform.PlatformResponses.CauseName(refused.Cause),
                ["availableQuantity"] = refused.AvailableQuantity,
            }),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    /// <summary>Fills in a code for problems the framework writes itself (404 routes, 415, 500...).</summary>
    public static void AddDefaultCode(ProblemDetailsContext context)
    {
        context.ProblemDetails.Extensions.TryAdd("code", context.ProblemDetails.Status switch
        {
            StatusCodes.Status400BadRequest => "BAD_REQUEST",
            StatusCodes.Status401Unauthorized => "UNAUTHENTICATED",
            StatusCodes.Status403Forbidden => "FORBIDDEN",
            StatusCodes.Status404NotFound => "NOT_FOUND",
            StatusCodes.Status405MethodNotAllowed => "METHOD_NOT_ALLOWED",
            StatusCodes.Status415UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            StatusCodes.Status503ServiceUnavailable => "UNAVAILABLE",
            _ => "INTERNAL_ERROR",
        });
    }

    private static Dictionary<string, object?> Code(string code) => new(StringComparer.Ordinal) { ["code"] = code };
}

/// <summary>Maps a body that cannot be read (malformed JSON, wrong types) to a 400 naming the field at fault.</summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var field = badRequest.InnerException is JsonException { Path: { Length: > 0 } path } ? ToFieldName(path) : "body";
        httpContext.Response.StatusCode = badRequest.StatusCode;
        var problem = new ProblemDetails
        {
            Status = badRequest.StatusCode,
            Title = "The request body could not be read.",
            Detail = badRequest.InnerException is JsonException json ? json.Message : badRequest.Message,
        };
        problem.Extensions["code"] = badRequest.StatusCode == StatusCodes.Status400BadRequest ? "MALFORMED_REQUEST" : "BAD_REQUEST";
        problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = ["could not be read as the expected type"] };
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception }).ConfigureAwait(false);
    }

    // "$.items[2].quantity" -> "items[2].quantity"
    private static string ToFieldName(string jsonPath) => jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
}

/// <summary>The store cannot be reached: 503 with code <c>STORE_UNAVAILABLE</c>; nothing was changed and the call may be retried.</summary>
public sealed class StoreUnavailableExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not StoreUnavailableException)
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "The stock store is unavailable; nothing was changed. Retry shortly.",
        };
        problem.Extensions["code"] = "STORE_UNAVAILABLE";
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception }).ConfigureAwait(false);
    }
}
