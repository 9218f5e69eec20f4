// Stylesheets imported for their side effect; esbuild bundles them into assets/demo.css.
declare module "*.css";
