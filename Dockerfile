# Build stage: compile TypeScript with the dev dependencies.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

# Run stage: the compiled app, production dependencies, models and templates.
FROM node:20.19-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY processes ./processes
COPY templates ./templates
USER node
EXPOSE 3000
CMD ["node", "dist/main.js"]
