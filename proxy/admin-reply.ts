import type { FastifyReply } from 'fastify';
import { ADMIN_ERRORS, type AdminErrorCode } from './errors.js';

/** sendAdminError answers with figway's JSON error shape. */
export function sendAdminError(reply: FastifyReply, code: AdminErrorCode, detail?: string): FastifyReply {
  return reply.code(ADMIN_ERRORS[code].status).type('application/json').send({ error: { code, message: detail ?? ADMIN_ERRORS[code].message } });
}
