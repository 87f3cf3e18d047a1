// Vite bundles the stylesheets a module imports; they export nothing.
declare module '*.css';
