import type { ProxyCollection, ProxyInput } from './collection.ts';
import { asObject, field, optBool, optInteger, optNumber, optString, parseBody } from './decode.ts';
import type { JsonObject } from './decode.ts';
import { ApiError, Errors, badRequestBody, missingField } from './errors.ts';
import { toxicJson } from './proxy.ts';
import type { ProxyJson } from './proxy.ts';
import { getToxicKind } from './registry.ts';
import type { Direction, ToxicConfig, ToxicKind } from './toxic.ts';

/** The Toxiproxy version this server reproduces. */
export const TOXIPROXY_VERSION = '2.12.0';

/**
 * A handler's answer. `json` is sent as application/json without a trailing
 * newline; `text` is sent verbatim with `contentType`; neither means an empty body.
 */
export interface ApiResponse {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
}

/**
 * The Toxiproxy HTTP API as plain functions over a {@link ProxyCollection}:
 * one method per route, each returning the response or throwing an
 * {@link ApiError} (any other Error is a 500 with its message). Calls must be
 * serialized by the caller.
 */
export class ToxiproxyApi {
  constructor(private readonly proxies: ProxyCollection) {}

  /** GET /proxies */
  listProxies(): ApiResponse {
    const result: Record<string, ProxyJson> = {};
    for (const proxy of this.proxies.all()) result[proxy.name] = proxy.toJSON();
    return { status: 200, json: result };
  }

  /** POST /proxies */
  async createProxy(body: string): Promise<ApiResponse> {
    const input = decodeProxy(asObject(parseBody(body), 'toxiproxy.Proxy'));
    if (input.name === '') throw missingField('name');
    if (input.upstream === '') throw missingField('upstream');
    const proxy = await this.proxies.add(input);
    return { status: 201, json: proxy.toJSON() };
  }

  /** POST /populate */
  async populate(body: string): Promise<ApiResponse> {
    const created: ProxyJson[] = [];
    try {
      const value = parseBody(body);
      const list = value === null ? [] : value;
      if (!Array.isArray(list)) {
        throw badRequestBody(`json: cannot unmarshal ${typeof list === 'object' ? 'object' : typeof list} into Go value of type []toxiproxy.Proxy`);
      }
      const inputs = list.map((entry: unknown) => decodeProxy(asObject(entry, 'toxiproxy.Proxy')));
      inputs.forEach((input, i) => {
        if (input.name === '') throw missingField(`name at proxy ${i + 1}`);
        if (input.upstream === '') throw missingField(`upstream at proxy ${i + 1}`);
      });
      for (const input of inputs) created.push((await this.proxies.addOrReplace(input)).toJSON());
      return { status: 201, json: { proxies: created } };
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 500;
      return { status, json: { error: (err as Error).message, status, proxies: created } };
    }
  }

  /** GET /proxies/{proxy} */
  showProxy(name: string): ApiResponse {
    return { status: 200, json: this.proxies.get(name).toJSON() };
  }

  /** POST|PATCH /proxies/{proxy}: partial update; `name` is ignored. */
  async updateProxy(name: string, body: string): Promise<ApiResponse> {
    const proxy = this.proxies.get(name);
    const object = asObject(parseBody(body), 'toxiproxy.Proxy');
    optString(object, 'name', 'Proxy');
    const listen = optString(object, 'listen', 'Proxy') ?? proxy.listen;
    const upstream = optString(object, 'upstream', 'Proxy') ?? proxy.upstream;
    const enabled = optBool(object, 'enabled', 'Proxy') ?? proxy.enabled;
    await proxy.update({ listen, upstream, enabled });
    return { status: 200, json: proxy.toJSON() };
  }

  /** DELETE /proxies/{proxy} */
  deleteProxy(name: string): ApiResponse {
    this.proxies.remove(name);
    return { status: 204 };
  }

  /** GET /proxies/{proxy}/toxics */
  listToxics(name: string): ApiResponse {
    return { status: 200, json: this.proxies.get(name).allToxics().map(toxicJson) };
  }

  /**
   * POST /proxies/{proxy}/toxics. Checks in Toxiproxy's order: body decode,
   * stream, default name, type, unique name, attributes.
   */
  createToxic(proxyName: string, body: string): ApiResponse {
    const proxy = this.proxies.get(proxyName);
    const object = asObject(parseBody(body), 'toxics.ToxicWrapper');
    const given = optString(object, 'name', 'ToxicWrapper');
    const type = optString(object, 'type', 'ToxicWrapper') ?? '';
    const stream = optString(object, 'stream', 'ToxicWrapper') ?? 'downstream';
    const toxicity = optNumber(object, 'toxicity', 'ToxicWrapper') ?? 1.0;
    const rawAttributes = field(object, 'attributes');
    if (rawAttributes !== undefined && rawAttributes !== null && (typeof rawAttributes !== 'object' || Array.isArray(rawAttributes))) {
      throw badRequestBody(`json: cannot unmarshal ${Array.isArray(rawAttributes) ? 'array' : typeof rawAttributes} into Go struct field ToxicWrapper.attributes`);
    }
    const lowered = stream.toLowerCase();
    if (lowered !== 'upstream' && lowered !== 'downstream') throw Errors.invalidStream();
    const direction: Direction = lowered;
    const name = given === undefined || given === '' ? `${type}_${stream}` : given;
    const kind = getToxicKind(type);
    if (kind === undefined) throw Errors.invalidToxicType();
    if (proxy.findToxic(name) !== undefined) throw Errors.toxicAlreadyExists();
    const attributes = decodeAttributes(kind, rawAttributes, {});
    const config: ToxicConfig = { name, type, stream, direction, kind, toxicity, attributes };
    proxy.addToxic(config);
    return { status: 200, json: toxicJson(config) };
  }

  /** GET /proxies/{proxy}/toxics/{toxic} */
  showToxic(proxyName: string, toxicName: string): ApiResponse {
    return { status: 200, json: toxicJson(this.toxic(proxyName, toxicName)) };
  }

  /** POST|PATCH /proxies/{proxy}/toxics/{toxic}: reads only `attributes` (merged) and `toxicity` (kept if absent). */
  updateToxic(proxyName: string, toxicName: string, body: string): ApiResponse {
    const proxy = this.proxies.get(proxyName);
    const config = proxy.findToxic(toxicName);
    if (config === undefined) throw Errors.toxicNotFound();
    const object = asObject(parseBody(body), 'struct { Attributes interface {}; Toxicity float32 }');
    const attributes = decodeAttributes(config.kind, field(object, 'attributes'), config.attributes);
    const toxicity = optNumber(object, 'toxicity', 'Toxicity') ?? config.toxicity;
    config.attributes = attributes;
    config.toxicity = toxicity;
    proxy.updateToxic(config);
    return { status: 200, json: toxicJson(config) };
  }

  /** DELETE /proxies/{proxy}/toxics/{toxic} */
  deleteToxic(proxyName: string, toxicName: string): ApiResponse {
    const proxy = this.proxies.get(proxyName);
    const config = proxy.findToxic(toxicName);
    if (config === undefined) throw Errors.toxicNotFound();
    proxy.removeToxic(config);
    return { status: 204 };
  }

  /** POST /reset: enable every proxy and remove every toxic; proxies are kept. */
  async reset(): Promise<ApiResponse> {
    for (const proxy of this.proxies.all()) {
      await proxy.start();
      proxy.removeAllToxics();
    }
    return { status: 204 };
  }

  /** GET /version */
  version(): ApiResponse {
    return { status: 200, text: `{"version": "${TOXIPROXY_VERSION}"}\n`, contentType: 'application/json;charset=utf-8' };
  }

  private toxic(proxyName: string, toxicName: string): ToxicConfig {
    const config = this.proxies.get(proxyName).findToxic(toxicName);
    if (config === undefined) throw Errors.toxicNotFound();
    return config;
  }
}

function decodeProxy(object: JsonObject): ProxyInput {
  return {
    name: optString(object, 'name', 'Proxy') ?? '',
    listen: optString(object, 'listen', 'Proxy') ?? '',
    upstream: optString(object, 'upstream', 'Proxy') ?? '',
    enabled: optBool(object, 'enabled', 'Proxy') ?? true,
  };
}

/** Merge integer attributes from `raw` over `base` (missing ones stay as in base, else 0); unknown keys are ignored. */
function decodeAttributes(kind: ToxicKind, raw: unknown, base: Readonly<Record<string, number>>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const key of kind.attributes) result[key] = base[key] ?? 0;
  if (raw === undefined || raw === null) return result;
  const object = asObject(raw, `toxics.${kind.type}`);
  for (const key of kind.attributes) {
    const value = optInteger(object, key, `attributes`);
    if (value !== undefined) result[key] = value;
  }
  return result;
}
