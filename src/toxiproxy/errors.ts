/**
 * An error the HTTP API reports to its client as
 * `{"error":"<message>","status":<status>}`. Any other Error thrown by a
 * handler is reported as status 500 with its message.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400 `bad request body: <detail>` (the body could not be decoded into the expected shape). */
export function badRequestBody(detail: string): ApiError {
  return new ApiError(`bad request body: ${detail}`, 400);
}

/** 400 `missing required field: <what>`. */
export function missingField(what: string): ApiError {
  return new ApiError(`missing required field: ${what}`, 400);
}

/** The fixed API errors, with Toxiproxy's messages and status codes. */
export const Errors = {
  proxyNotFound: (): ApiError => new ApiError('proxy not found', 404),
  proxyAlreadyExists: (): ApiError => new ApiError('proxy already exists', 409),
  invalidStream: (): ApiError => new ApiError('stream was invalid, can be either upstream or downstream', 400),
  invalidToxicType: (): ApiError => new ApiError('invalid toxic type', 400),
  toxicAlreadyExists: (): ApiError => new ApiError('toxic already exists', 409),
  toxicNotFound: (): ApiError => new ApiError('toxic not found', 404),
} as const;
