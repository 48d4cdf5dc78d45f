export {
  API_KEY_LOOKUP_LENGTH,
  API_KEY_PREFIX,
  apiKeyLookupPrefix,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  secretsEqual,
} from './api-key-token.js';
export { type Credentials, isOperator, parseAuthorization } from './credentials.js';
export { createRateLimiter, type RateDecision, type RateLimiter } from './rate-limiter.js';
